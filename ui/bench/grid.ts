// The grid benchmark's page: the real App over an in-memory Backend holding 2,000 containers
// (only the rendering is measured here; the engine's own speed has its own benchmarks).
import { mount } from "svelte";
import App from "../src/App.svelte";
import "../src/app.css";
import type { Backend } from "../src/lib/backend/backend";
import type { Container } from "../src/lib/bindings/Container";
import { LABELS } from "../src/lib/colors";
import { sampleContainer } from "../src/lib/sample";

const COUNT = Number(new URLSearchParams(location.search).get("count") ?? 2000);
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
    server_name: i % 3 ? "local" : "edge",
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
const backend: Backend = {
  operation: refused,
  containers: async () => containers,
  container: async (id) => containers.find((c) => c.id === id)!,
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
  subscribe: (listener) => {
    listener.connected(true);
    return () => {};
  },
};
(window as unknown as { hoodyBenchBackend: Backend }).hoodyBenchBackend = backend;
(window as unknown as { hoodyBenchStart: number }).hoodyBenchStart = performance.now();
mount(App, { target: document.getElementById("app")! });
