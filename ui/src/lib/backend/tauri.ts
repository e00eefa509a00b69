// The Tauri transport: the desktop app's fleet (its own engine and the remote endpoints), each
// operation of the one list (./operations) through the `rpc` command, and its events.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { Backend, DesktopHandlers, Listener } from "./backend";
import { BackendError } from "./backend";
import { type Answer, type Call, OperationsBackend } from "./operations";
import type { Container } from "../bindings/Container";
import type { ContainerEvent } from "../bindings/ContainerEvent";
import type { OperationName } from "../bindings/operations";
import type { Project } from "../bindings/Project";
import type { RpcCall } from "../bindings/RpcCall";
import type { GeneratedSshKey } from "../bindings/GeneratedSshKey";
import type { SecretStore } from "../bindings/SecretStore";
import type { ServerEntry } from "../bindings/ServerEntry";

/** A command's refusal arrives as `{status, code, message}`, the REST API's error in short. */
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    const error = e as { status?: number; code?: string; message?: string };
    throw new BackendError(error.status ?? 500, error.code ?? "internal", error.message ?? String(e));
  }
}

export class TauriBackend extends OperationsBackend implements Backend {
  operation<N extends OperationName>(op: N, c: Call<N>, server?: string): Promise<Answer<N>> {
    const rpc: RpcCall = { op, server, params: c.params ?? {}, query: c.query ?? {}, body: c.body };
    return call<Answer<N>>("rpc", { call: rpc });
  }

  // Across every server the desktop knows (its fleet), not one.
  containers = () => call<Container[]>("containers");
  knownContainers = () => call<Container[]>("known_containers");
  projects = (server?: string, all?: boolean) => call<Project[]>("projects", { server, all });
  openUrl = async (url: string) => void (await call<void>("open_url", { url }));
  openService = (id: string, service: string, start: boolean) => call<string>("open_service", { id, service, start });
  generateSshKey = (name: string) => call<GeneratedSshKey>("generate_ssh_key", { name });
  servers = () => call<ServerEntry[]>("servers");
  startAtLogin = () => call<boolean>("start_at_login");
  setStartAtLogin = async (on: boolean) => void (await call<void>("set_start_at_login", { on }));
  addRemote = (name: string, url: string, token: string) => call<SecretStore>("add_remote", { name, url, token });
  localApiToken = () => call<string>("local_api_token");
  removeRemote = async (name: string) => void (await call<void>("remove_remote", { name }));
  quit = (stopRunning: boolean) => call<void>("quit", { stopRunning });
  ready = (showing?: string) => call<void>("ui_ready", { showing });
  startFailure = () => call<string | null>("start_failure");
  setUpThisComputer = () => call<string[]>("set_up_this_computer");
  startAgain = () => call<void>("start_again");

  subscribe(listener: Listener) {
    const stops = [
      listen<ContainerEvent>("container-event", (e) => listener.event(e.payload)),
      listen("container-resync", () => listener.resync()),
    ];
    listener.connected(true); // the engine is in this process: always connected
    return () => stops.forEach((stop) => stop.then((unlisten) => unlisten()));
  }

  onDesktop(handlers: DesktopHandlers) {
    const stops = [
      listen<{ id: string; service: string; link: string; wake?: "start" | "resume" }>("deep-link-confirm", (e) =>
        handlers.confirmStart(e.payload),
      ),
      listen<{ message: string }>("deep-link-refused", (e) => handlers.refused(e.payload.message)),
      listen("quit-requested", () => handlers.quitRequested()),
    ];
    return () => stops.forEach((stop) => stop.then((unlisten) => unlisten()));
  }
}
