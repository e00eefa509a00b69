import { describe, expect, it } from "vitest";
import type { Backend, Listener } from "./backend/backend";
import { BackendError } from "./backend/backend";
import type { Container } from "./bindings/Container";
import type { ContainerEvent } from "./bindings/ContainerEvent";
import type { ContainerStatus } from "./bindings/ContainerStatus";
import { Fleet } from "./fleet.svelte";

// A backend whose answers the test releases one by one, in any order: the fleet must end up
// with what the engine holds now, however late an answer comes back.
class ScriptedBackend {
  listener: Listener | null = null;
  reads: { id: string; answer: (c: Container | null) => void }[] = [];
  lists: ((cs: Container[]) => void)[] = [];

  container(id: string): Promise<Container> {
    return new Promise((resolve, reject) =>
      this.reads.push({
        id,
        answer: (c) => (c ? resolve(c) : reject(new BackendError(404, "not_found", "no such container"))),
      }),
    );
  }
  containers(): Promise<Container[]> {
    return new Promise((resolve) => this.lists.push(resolve));
  }
  projects = async () => [];
  realms = async () => [];
  subscribe(listener: Listener) {
    this.listener = listener;
    return () => {};
  }
}

const container = (id: string, status: ContainerStatus) => ({ id, name: id, status }) as unknown as Container;
const event = (id: string, from: ContainerStatus, to: ContainerStatus) =>
  ({ kind: "status", container_id: id, from, to, reason: null }) as unknown as ContainerEvent;
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

async function fleetWith(initial: Container[]) {
  const backend = new ScriptedBackend();
  const fleet = new Fleet(backend as unknown as Backend);
  globalThis.requestAnimationFrame ??= (() => 0) as never;
  fleet.start();
  backend.lists.shift()!(initial);
  await settle();
  return { backend, fleet };
}

describe("the fleet under late answers", () => {
  it("does not bring back a container whose read answers after its deletion", async () => {
    const { backend, fleet } = await fleetWith([container("a", "running")]);
    backend.listener!.event(event("a", "running", "deleting"));
    await settle();
    expect(fleet.containers.get("a")?.status).toBe("deleting");
    backend.listener!.event(event("a", "deleting", "deleted"));
    await settle();
    expect(fleet.containers.has("a")).toBe(false);
    // The read sent on "deleting" answers now, with the state it saw then.
    backend.reads.shift()!.answer(container("a", "deleting"));
    await settle();
    expect(fleet.containers.has("a")).toBe(false);
  });

  it("applies only the newest read of a container", async () => {
    const { backend, fleet } = await fleetWith([container("a", "running")]);
    backend.listener!.event(event("a", "running", "paused"));
    await settle();
    backend.listener!.event(event("a", "paused", "stopped"));
    await settle();
    const [older, newer] = backend.reads.splice(0);
    newer.answer(container("a", "stopped"));
    await settle();
    older.answer(container("a", "paused"));
    await settle();
    expect(fleet.containers.get("a")?.status).toBe("stopped");
  });

  it("keeps what events changed while a full read was on its way", async () => {
    const { backend, fleet } = await fleetWith([container("a", "running")]);
    backend.listener!.resync();
    backend.listener!.event(event("b", "creating", "running"));
    await settle();
    backend.reads.shift()!.answer(container("b", "running"));
    backend.listener!.event(event("a", "running", "deleted"));
    await settle();
    // The full read was sent before b existed and before a was deleted.
    backend.lists.shift()!([container("a", "running")]);
    await settle();
    expect([...fleet.containers.keys()]).toEqual(["b"]);
  });

  it("forgets a container the engine no longer knows", async () => {
    const { backend, fleet } = await fleetWith([container("a", "running")]);
    backend.listener!.event(event("a", "running", "stopped"));
    await settle();
    backend.reads.shift()!.answer(null);
    await settle();
    expect(fleet.containers.has("a")).toBe(false);
  });

  it("keeps progress apart, without a read per report, until the status moves on", async () => {
    const { backend, fleet } = await fleetWith([container("a", "creating")]);
    const report = (done: number) =>
      ({ kind: "progress", container_id: "a", from: "creating", to: "creating", reason: null, progress: { stage: "downloading", done, total: 10 } }) as unknown as ContainerEvent;
    backend.listener!.event(report(3));
    backend.listener!.event(report(7));
    await settle();
    expect(fleet.progress.get("a")?.done).toBe(7);
    expect(backend.reads).toHaveLength(0);
    backend.listener!.event(event("a", "creating", "running"));
    await settle();
    expect(fleet.progress.has("a")).toBe(false);
  });
});

describe("news of a container", () => {
  it("is told when the engine stopped it, by its event's trigger, not when a user did", async () => {
    const { backend, fleet } = await fleetWith([container("a", "running"), container("b", "running")]);
    const stopped = (id: string, trigger: string, reason: string | null) =>
      ({ kind: "status", container_id: id, from: "running", to: "stopped", reason, trigger }) as unknown as ContainerEvent;
    backend.listener!.event(stopped("a", "user", null));
    backend.listener!.event(stopped("b", "system", "its init exited"));
    await settle();
    expect(fleet.notices.map((n) => n.text)).toEqual(["b stopped on its own: its init exited"]);
  });
});

describe("servers that do not answer", () => {
  it("marks the containers of a server whose last answer is old", async () => {
    const backend = new ScriptedBackend() as ScriptedBackend & { servers: () => Promise<unknown[]> };
    const south = { state: "unreachable", reason: "south does not answer", last_contact: null, since: "2026-11-30T21:05:00Z" };
    backend.servers = async () => [
      { name: "north", url: null, remote: true, problem: null, health: { ...south, state: "connected", reason: null } },
      { name: "south", url: null, remote: true, problem: south.reason, health: south },
    ];
    const fleet = new Fleet(backend as unknown as Backend);
    globalThis.requestAnimationFrame ??= (() => 0) as never;
    fleet.start();
    backend.lists.shift()!([container("a", "running")]);
    await settle();
    expect(fleet.away("south")?.state).toBe("unreachable");
    expect(fleet.away("north")).toBeNull();
    expect(fleet.away("nowhere")).toBeNull();
  });
});

describe("the first picture", () => {
  it("draws the last known containers at once, and the servers' answer over them", async () => {
    const backend = new ScriptedBackend() as ScriptedBackend & { knownContainers: () => Promise<Container[]> };
    backend.knownContainers = async () => [container("a", "running"), container("b", "running")];
    const fleet = new Fleet(backend as unknown as Backend);
    globalThis.requestAnimationFrame ??= (() => 0) as never;
    fleet.start();
    await settle();
    expect([...fleet.containers.keys()].sort()).toEqual(["a", "b"]);
    expect(fleet.loading).toBe(false);
    backend.lists.shift()!([container("a", "stopped")]);
    await settle();
    expect([...fleet.containers.keys()]).toEqual(["a"]);
    expect(fleet.containers.get("a")?.status).toBe("stopped");
  });

  it("does not draw what is known over a fresher answer", async () => {
    let release: (cs: Container[]) => void = () => {};
    const backend = new ScriptedBackend() as ScriptedBackend & { knownContainers: () => Promise<Container[]> };
    backend.knownContainers = () => new Promise((resolve) => (release = resolve));
    const fleet = new Fleet(backend as unknown as Backend);
    fleet.start();
    backend.lists.shift()!([container("a", "stopped")]);
    await settle();
    release([container("a", "running"), container("old", "running")]);
    await settle();
    expect([...fleet.containers.keys()]).toEqual(["a"]);
    expect(fleet.containers.get("a")?.status).toBe("stopped");
  });
});
