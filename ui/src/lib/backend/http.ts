// The HTTP transport: hoodyd's REST API (`{statusCode, message, data}` envelopes) and its
// server-sent events.
import type { Backend, Listener } from "./backend";
import { BackendError } from "./backend";
import type { Container } from "../bindings/Container";
import type { ContainerEvent } from "../bindings/ContainerEvent";
import type { Image } from "../bindings/Image";
import type { Pagination } from "../bindings/Pagination";
import type { Project } from "../bindings/Project";
import type { Realm } from "../bindings/Realm";
import type { RuntimeInfo } from "../bindings/RuntimeInfo";
import type { Snapshot } from "../bindings/Snapshot";
import type { StatusLogEntry } from "../bindings/StatusLogEntry";

/** The largest page the API gives; the grid reads every page. */
const PAGE = 200;

export class HttpBackend implements Backend {
  constructor(
    private readonly base: string,
    private readonly token: string,
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
  ) {}

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

  /** Every page of a list route (`{<key>: [...], pagination}`). */
  private async all<T>(path: string, key: string): Promise<T[]> {
    const items: T[] = [];
    const joiner = path.includes("?") ? "&" : "?";
    for (let page = 1; ; page++) {
      const data = await this.call<Record<string, unknown>>("GET", `${path}${joiner}limit=${PAGE}&page=${page}`);
      items.push(...(data[key] as T[]));
      if (page >= (data.pagination as Pagination).totalPages) return items;
    }
  }

  containers() {
    return this.all<Container>("/containers/?runtime=true", "containers");
  }

  container(id: string) {
    return this.call<Container>("GET", `/containers/${id}?runtime=true`);
  }

  projects() {
    return this.all<Project>("/projects", "projects");
  }

  createProject(req: Parameters<Backend["createProject"]>[0]) {
    return this.call<Project>("POST", "/projects/", req);
  }

  images() {
    return this.call<Image[]>("GET", "/images/public");
  }

  realms() {
    return this.call<Realm[]>("GET", "/realms/");
  }

  createContainer(projectId: string, req: Parameters<Backend["createContainer"]>[1]) {
    return this.call<Container>("POST", `/projects/${projectId}/containers`, req);
  }

  operate(id: string, op: Parameters<Backend["operate"]>[1]) {
    return this.call<Container>("POST", `/containers/${id}/${op}`);
  }

  async deleteContainer(id: string) {
    await this.call<unknown>("DELETE", `/containers/${id}`);
  }

  snapshot(id: string, req: Parameters<Backend["snapshot"]>[1]) {
    return this.call<Snapshot>("POST", `/containers/${id}/snapshots`, req);
  }

  copy(id: string) {
    return this.call<Container>("POST", `/containers/${id}/copy`, {});
  }

  updateContainer(id: string, req: Parameters<Backend["updateContainer"]>[1]) {
    return this.call<Container>("PATCH", `/containers/${id}`, req);
  }

  snapshots(id: string) {
    return this.call<Snapshot[]>("GET", `/containers/${id}/snapshots`);
  }

  restoreSnapshot(id: string, name: string) {
    return this.call<Container>("PUT", `/containers/${id}/snapshots/${encodeURIComponent(name)}`);
  }

  deleteSnapshot(id: string, name: string) {
    return this.call<Snapshot>("DELETE", `/containers/${id}/snapshots/${encodeURIComponent(name)}`);
  }

  statusLogs(id: string) {
    return this.call<StatusLogEntry[]>("GET", `/containers/${id}/status-logs`);
  }

  stats(id: string) {
    return this.call<RuntimeInfo>("GET", `/containers/${id}/stats`);
  }

  async openUrl(url: string) {
    window.open(url, "_blank", "noopener");
  }

  subscribe(listener: Listener) {
    const source = new EventSource(`${this.base}/api/v1/events?token=${encodeURIComponent(this.token)}`);
    // "ready" opens every (re)connection: whatever happened while away is read again.
    source.addEventListener("ready", () => {
      listener.connected(true);
      listener.resync();
    });
    source.addEventListener("container", (message) => listener.event(JSON.parse(message.data) as ContainerEvent));
    source.addEventListener("lagged", () => listener.resync());
    source.onerror = () => listener.connected(false); // EventSource reconnects by itself
    return () => source.close();
  }
}
