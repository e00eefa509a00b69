// Every container the UI shows, kept current: a full read at start (and whenever changes may
// have been missed), then one read of each container an event names.
//
// Answers can arrive late and out of order (a read sent while a container was deleting comes
// back after its "deleted" event). So the fleet keeps a clock: the newest read of a container
// wins, a full read does not overwrite what events changed after it was sent, and a deleted
// container never comes back.
import { SvelteMap } from "svelte/reactivity";
import type { Backend } from "./backend/backend";
import { failureHeadline, messageFor } from "./messages";
import { BackendError } from "./backend/backend";
import type { Container } from "./bindings/Container";
import type { ContainerEvent } from "./bindings/ContainerEvent";
import type { Project } from "./bindings/Project";
import type { Realm } from "./bindings/Realm";
import type { ServerEntry } from "./bindings/ServerEntry";
import type { ServerHealth } from "./bindings/ServerHealth";
import type { WorkProgress } from "./bindings/WorkProgress";

export interface Notice {
  id: number;
  kind: "error" | "info";
  text: string;
}

export class Fleet {
  readonly containers = new SvelteMap<string, Container>();
  /** How far long work on a container has got (an image download), until its status changes. */
  readonly progress = new SvelteMap<string, WorkProgress>();
  projects = $state<Project[]>([]);
  realms = $state<Realm[]>([]);
  /** Every server and its health (when the backend manages several). */
  servers = $state<ServerEntry[]>([]);
  connected = $state(false);
  loading = $state(true);
  notices = $state<Notice[]>([]);
  private nextNotice = 1;
  private stop: (() => void) | null = null;
  /** Containers with a read queued for this tick (bursts of events make one read). */
  private queued = new Set<string>();
  private clock = 0;
  /** Per container: the clock of its newest read; only that read's answer is applied. */
  private newestRead = new Map<string, number>();
  /** Per container: the clock of its latest event. */
  private touched = new Map<string, number>();
  /** Deleted containers (ids are never reused). */
  private gone = new Set<string>();
  /** A full read has answered (what is known from before no longer applies). */
  private listed = false;

  constructor(readonly backend: Backend) {}

  start() {
    this.stop = this.backend.subscribe({
      event: (event) => this.onEvent(event),
      resync: () => void this.reload(),
      connected: (connected) => (this.connected = connected),
    });
    void this.showKnown();
    void this.reload();
  }

  /** Draws every server's last known containers at once, while the servers are asked. */
  private async showKnown() {
    const known = await this.backend.knownContainers?.().catch(() => [] as Container[]);
    // Only if no full read answered first (that one is fresher).
    if (!known?.length || this.listed) return;
    for (const c of known) if (!this.gone.has(c.id)) this.containers.set(c.id, c);
    this.drawn();
  }

  /** The grid has its first picture: stop saying "Loading…", and tell the backend once drawn. */
  private drawn() {
    if (!this.loading) return;
    this.loading = false;
    // After the grid is drawn: the next frame.
    requestAnimationFrame(() => void this.backend.ready?.().catch(() => {}));
  }

  close() {
    this.stop?.();
  }

  async reload() {
    const sent = ++this.clock;
    const changedSince = (id: string) => (this.touched.get(id) ?? 0) > sent;
    try {
      const [containers, projects, realms, servers] = await Promise.all([
        this.backend.containers(),
        this.backend.projects(undefined, true),
        this.backend.realms().catch(() => [] as Realm[]),
        this.backend.servers?.().catch(() => [] as ServerEntry[]) ?? Promise.resolve([] as ServerEntry[]),
      ]);
      this.projects = projects;
      this.realms = realms;
      this.servers = servers;
      const seen = new Set(containers.map((c) => c.id));
      for (const id of [...this.containers.keys()]) {
        if (!seen.has(id) && !changedSince(id)) this.containers.delete(id);
      }
      for (const c of containers) {
        if (!this.gone.has(c.id) && !changedSince(c.id)) this.containers.set(c.id, c);
      }
      this.listed = true;
    } catch (e) {
      this.notify("error", describe(e));
    } finally {
      this.drawn();
    }
  }

  /** The health of a server that did not answer the last time it was asked (its containers
   * show as it last knew them); null while it answers. */
  away = (server: string): ServerHealth | null => {
    const health = this.servers.find((s) => s.name === server)?.health;
    return health && health.state !== "connected" ? health : null;
  };

  projectName = (id: string) => this.projects.find((p) => p.id === id)?.alias ?? id;
  realmName = (id: string) => this.realms.find((r) => r.id === id)?.name ?? id;

  private onEvent(event: ContainerEvent) {
    if (event.kind === "progress") {
      if (event.progress && !this.gone.has(event.container_id)) this.progress.set(event.container_id, event.progress);
      return;
    }
    this.progress.delete(event.container_id);
    const before = this.containers.get(event.container_id);
    this.touched.set(event.container_id, ++this.clock);
    if (event.to === "deleted") {
      this.forget(event.container_id);
      return;
    }
    if (before && event.kind === "status") {
      this.containers.set(event.container_id, { ...before, status: event.to, error: event.reason });
      // A container that stops without being asked is news (the engine, not a user, stopped it).
      const unasked = event.trigger !== undefined && event.trigger !== "user";
      if (event.to === "failed") {
        this.notify("error", `${before.name}: ${failureHeadline(event.reason ?? "")}; its details say why.`);
      } else if (event.from === "running" && event.to === "stopped" && unasked) {
        this.notify("error", `${before.name} stopped on its own${event.reason ? `: ${event.reason}` : ""}`);
      }
    }
    void this.refresh(event.container_id);
  }

  /** Reads one container again (coalescing bursts of events for it). */
  async refresh(id: string) {
    if (this.queued.has(id)) return;
    this.queued.add(id);
    await Promise.resolve();
    this.queued.delete(id);
    if (this.gone.has(id)) return;
    const sent = ++this.clock;
    this.newestRead.set(id, sent);
    const current = () => this.newestRead.get(id) === sent && !this.gone.has(id);
    try {
      const c = await this.backend.container(id);
      if (current()) this.containers.set(id, c);
    } catch (e) {
      if (current() && e instanceof BackendError && e.code === "not_found") this.forget(id);
    } finally {
      if (this.newestRead.get(id) === sent) this.newestRead.delete(id);
    }
  }

  private forget(id: string) {
    this.gone.add(id);
    this.touched.delete(id);
    this.containers.delete(id);
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

/** What to tell the user of a failure (see ./messages). */
export function describe(e: unknown): string {
  return messageFor(e);
}
