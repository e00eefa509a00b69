// The HTTP transport: hoodyd's REST API (`{statusCode, message, data}` envelopes) and its
// server-sent events. Each operation's request comes from the one list (./operations).
import type { Backend, Listener } from "./backend";
import { BackendError } from "./backend";
import type { ContainerEvent } from "../bindings/ContainerEvent";
import type { OperationName } from "../bindings/operations";
import { type Answer, type Call, OperationsBackend, PAGE, everyPage, httpRequest } from "./operations";

export class HttpBackend extends OperationsBackend implements Backend {
  constructor(
    private readonly base: string,
    private readonly token: string,
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
  ) {
    super();
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await this.fetcher(`${this.base}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new BackendError(0, "UNREACHABLE", `the engine at ${this.base} does not answer (${e})`);
    }
    const text = await response.text();
    let envelope: { data?: T; message?: string; code?: string; error?: string } = {};
    try {
      envelope = text ? JSON.parse(text) : {};
    } catch {
      throw new BackendError(response.status, "BAD_ANSWER", `the engine answered ${response.status} with no JSON`);
    }
    if (!response.ok) {
      throw new BackendError(response.status, envelope.code ?? "UNKNOWN", envelope.message ?? response.statusText);
    }
    return envelope.data as T;
  }

  operation<N extends OperationName>(op: N, call: Call<N>): Promise<Answer<N>> {
    const { method, path } = httpRequest(op, call);
    return this.call<Answer<N>>(method, path, call.body);
  }

  containers() {
    const read = (page: number) =>
      this.operation("list_containers", { query: { runtime: "true", page: `${page}`, limit: `${PAGE}` } });
    return everyPage(read, (data) => (data as Answer<"list_containers">).containers);
  }

  projects() {
    return this.projectsOf();
  }

  async openUrl(url: string) {
    window.open(url, "_blank", "noopener");
  }

  subscribe(listener: Listener) {
    const source = new EventSource(`${this.base}/api/v1/events/stream?token=${encodeURIComponent(this.token)}`);
    // "ready" opens every (re)connection: whatever happened while away is read again, unless the
    // server resumed the stream (EventSource sends the last id it got; what it missed follows).
    source.addEventListener("ready", (message) => {
      listener.connected(true);
      if (!resumed(message.data)) listener.resync();
    });
    source.addEventListener("container", (message) => listener.event(JSON.parse(message.data) as ContainerEvent));
    source.addEventListener("lagged", () => listener.resync());
    source.onerror = () => listener.connected(false); // EventSource reconnects by itself
    return () => source.close();
  }
}

/** Whether a stream's `ready` event says it goes on from the last event received. */
export function resumed(data: string): boolean {
  try {
    return (JSON.parse(data) as { resumed?: unknown }).resumed === true;
  } catch {
    return false;
  }
}
