// Which transport the UI uses. In the desktop window: Tauri, to the app's own engine. In a
// browser: HTTP to the engine that served the page (or the one named by `?engine=`), with the
// token from `#token=` or the one typed in.
import type { Backend } from "./backend";
import { HttpBackend } from "./http";
import { TauriBackend } from "./tauri";

export function connect(): Backend | null {
  // The grid benchmark's page brings its own.
  const bench = (window as { hoodyBenchBackend?: Backend }).hoodyBenchBackend;
  if (bench) return bench;
  if ("__TAURI_INTERNALS__" in window) return new TauriBackend();
  const hash = new URLSearchParams(location.hash.slice(1));
  const fromHash = hash.get("token");
  if (fromHash) {
    sessionStorage.setItem("hoody-token", fromHash);
    history.replaceState(null, "", location.pathname + location.search); // keep it out of the address bar
  }
  const token = sessionStorage.getItem("hoody-token");
  if (!token) return null;
  const engine = new URLSearchParams(location.search).get("engine") ?? location.origin;
  return new HttpBackend(engine, token);
}
