// Every container the UI shows, kept current: a full read at start (and whenever changes may
// have been missed), then one read of each container an event names.
import { SvelteMap } from "svelte/reactivity";
import type { Backend } from "./backend/backend";
import { BackendError } from "./backend/backend";
import type { Container } from "./bindings/Container";
import type { ContainerEvent } from "./bindings/ContainerEvent";
import type { Project } from "./bindings/Project";

export interface Notice {
  id: number;
  kind: "error" | "info";
  text: string;
}

export class Fleet {
  readonly containers = new SvelteMap<string, Container>();
  projects = $state<Project[]>([]);
  connected = $state(false);
  loading = $state(true);
  notices = $state<Notice[]>([]);
  private nextNotice = 1;
  private stop: (() => void) | null = null;
  private pending = new Set<string>();

  constructor(readonly backend: Backend) {}

  start() {
    this.stop = this.backend.subscribe({
      event: (event) => this.onEvent(event),
      resync: () => void this.reload(),
      connected: (connected) => (this.connected = connected),
    });
    void this.reload();
  }

  close() {
    this.stop?.();
  }

  async reload() {
    try {
      const [containers, projects] = await Promise.all([this.backend.containers(), this.backend.projects()]);
      this.projects = projects;
      const seen = new Set(containers.map((c) => c.id));
      for (const id of [...this.containers.keys()]) if (!seen.has(id)) this.containers.delete(id);
      for (const c of containers) this.containers.set(c.id, c);
    } catch (e) {
      this.notify("error", describe(e));
    } finally {
      if (this.loading) {
        this.loading = false;
        // After the grid is drawn: the next frame.
        requestAnimationFrame(() => void this.backend.ready?.().catch(() => {}));
      }
    }
  }

  projectName = (id: string) => this.projects.find((p) => p.id === id)?.alias ?? id;

  private onEvent(event: ContainerEvent) {
    const before = this.containers.get(event.container_id);
    if (event.to === "deleted") {
      this.containers.delete(event.container_id);
      return;
    }
    if (before && event.kind === "status") {
      this.containers.set(event.container_id, { ...before, status: event.to, error: event.reason });
      // A container that stops without being asked is news.
      if (event.to === "failed" || (event.from === "running" && event.to === "stopped" && event.reason?.includes("unexpected"))) {
        this.notify("error", `${before.name} ${event.to}${event.reason ? `: ${event.reason}` : ""}`);
      }
    }
    void this.refresh(event.container_id);
  }

  /** Reads one container again (coalescing bursts of events for it). */
  async refresh(id: string) {
    if (this.pending.has(id)) return;
    this.pending.add(id);
    await Promise.resolve();
    this.pending.delete(id);
    try {
      this.containers.set(id, await this.backend.container(id));
    } catch (e) {
      if (e instanceof BackendError && e.status === 404) this.containers.delete(id);
    }
  }

  notify(kind: Notice["kind"], text: string) {
    const notice = { id: this.nextNotice++, kind, text };
    this.notices = [...this.notices, notice].slice(-5);
    setTimeout(() => this.dismiss(notice.id), kind === "error" ? 12000 : 5000);
  }

  dismiss(id: number) {
    this.notices = this.notices.filter((n) => n.id !== id);
  }
}

export function describe(e: unknown): string {
  return e instanceof BackendError ? e.message : String(e);
}
