// The grid benchmark's page: the real App over an in-memory Backend holding `count` containers
// on `servers` servers (only the rendering is measured here; the engine's own speed has its own
// benchmarks). With `cache=1` the servers never answer: the grid is drawn from the last known
// containers alone (the desktop's `known_containers`). `hoodyBenchBurst(n)` sends n status
// events of one server's containers and resolves once the grid has merged them all.
import { mount } from "svelte";
import App from "../src/App.svelte";
import "../src/app.css";
import type { Backend, Listener } from "../src/lib/backend/backend";
import type { ContainerEvent } from "../src/lib/bindings/ContainerEvent";
import type { Container } from "../src/lib/bindings/Container";
import { LABELS } from "../src/lib/colors";
import { sampleContainer } from "../src/lib/sample";

const query = new URLSearchParams(location.search);
const COUNT = Number(query.get("count") ?? 2000);
const SERVERS = Number(query.get("servers") ?? 0);
const FROM_CACHE = query.get("cache") === "1";
const statuses = ["running", "running", "stopped", "paused", "failed"] as const;
const containers: Container[] = Array.from({ length: COUNT }, (_, i) => {
  const id = i.toString(16).padStart(24, "0");
  const status = statuses[i % statuses.length];
  const base = `http://p-${id}`;
  const at = new Date(1_700_000_000_000 + i * 1000).toISOString();
  return sampleContainer(`box-${i}`, {
    id,
    project_id: `p${i % 7}`.padStart(24, "0"),
    server_id: "0".repeat(24),
    server_name: SERVERS ? `server-${i % SERVERS}` : i % 3 ? "local" : "edge",
    status,
    error: status === "failed" ? "the image could not be unpacked" : null,
    container_image: i % 2 ? "debian/13" : "busybox/1",
    color: LABELS[i % LABELS.length].hex,
    created_at: at,
    updated_at: at,
    urls: status === "running" ? { "terminal-1": `${base}-terminal-1`, "files-1": `${base}-files-1`, "http-8080": `${base}-http-8080` } : {},
  });
});

const refused = () => Promise.reject(new Error("the benchmark's backend only lists"));
const byId = new Map(containers.map((c) => [c.id, c]));
let reads = 0;
let listener: Listener | null = null;
const backend: Backend = {
  operation: refused,
  // From the cache, the servers never answer: the last known containers are all there is.
  containers: async () => (FROM_CACHE ? new Promise<Container[]>(() => {}) : containers),
  knownContainers: async () => (FROM_CACHE ? containers : []),
  container: async (id) => {
    reads++;
    return byId.get(id)!;
  },
  projects: async () => Array.from({ length: 7 }, (_, i) => ({ id: `p${i}`.padStart(24, "0"), alias: `project-${i}` }) as never),
  createProject: refused,
  images: async () => [],
  realms: async () => [],
  createContainer: refused,
  operate: refused,
  deleteContainer: refused,
  snapshot: refused,
  copy: refused,
  updateContainer: refused,
  snapshots: async () => [],
  restoreSnapshot: refused,
  deleteSnapshot: refused,
  statusLogs: async () => [],
  stats: refused,
  openUrl: async () => {},
  subscribe: (l) => {
    listener = l;
    l.connected(true);
    return () => {};
  },
};
(window as unknown as { hoodyBenchBackend: Backend }).hoodyBenchBackend = backend;
(window as unknown as { hoodyBenchStart: number }).hoodyBenchStart = performance.now();

/** Up to n running containers of server-0 stop at once (events, then each re-read as the UI
 * does): resolves with how many, and the ms from the first event to the frame after the last
 * read was merged. */
(window as unknown as { hoodyBenchBurst: (n: number) => Promise<{ ms: number; count: number }> }).hoodyBenchBurst = (n) => {
  const chosen = containers.filter((c) => c.server_name === "server-0" && c.status === "running").slice(0, n);
  const start = performance.now();
  const before = reads;
  for (const c of chosen) {
    const stopped = { ...c, status: "stopped" as const };
    byId.set(c.id, stopped);
    listener!.event({ kind: "status", container_id: c.id, project_id: c.project_id, realm_ids: [], from: "running", to: "stopped", reason: null, at: new Date().toISOString() } as ContainerEvent);
  }
  return new Promise((resolve) => {
    const done = () => resolve({ ms: performance.now() - start, count: chosen.length });
    const check = () => (reads - before >= chosen.length ? requestAnimationFrame(done) : requestAnimationFrame(check));
    check();
  });
};
mount(App, { target: document.getElementById("app")! });
