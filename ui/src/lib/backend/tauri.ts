// The Tauri transport: the desktop app's own engine, through its commands and events.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { Backend, DesktopHandlers, Listener } from "./backend";
import { BackendError } from "./backend";
import type { Container } from "../bindings/Container";
import type { ContainerCreate } from "../bindings/ContainerCreate";
import type { ContainerEvent } from "../bindings/ContainerEvent";
import type { Image } from "../bindings/Image";
import type { Operation } from "../bindings/Operation";
import type { Project } from "../bindings/Project";
import type { Realm } from "../bindings/Realm";
import type { ProjectCreate } from "../bindings/ProjectCreate";
import type { Snapshot } from "../bindings/Snapshot";
import type { SnapshotCreate } from "../bindings/SnapshotCreate";
import type { ContainerUpdate } from "../bindings/ContainerUpdate";
import type { RuntimeInfo } from "../bindings/RuntimeInfo";
import type { StatusLogEntry } from "../bindings/StatusLogEntry";
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

export class TauriBackend implements Backend {
  containers = () => call<Container[]>("containers");
  container = (id: string) => call<Container>("container", { id });
  projects = (server?: string, all?: boolean) => call<Project[]>("projects", { server, all });
  createProject = (req: ProjectCreate, server?: string) => call<Project>("create_project", { req, server });
  images = (server?: string) => call<Image[]>("images", { server });
  realms = (server?: string) => call<Realm[]>("realms", { server });
  createContainer = (projectId: string, req: ContainerCreate, server?: string) =>
    call<Container>("create_container", { projectId, req, server });
  operate = (id: string, op: Operation) => call<Container>("operate", { id, op });
  deleteContainer = async (id: string) => void (await call<Container>("delete_container", { id }));
  snapshot = (id: string, req: SnapshotCreate) => call<Snapshot>("snapshot", { id, req });
  copy = (id: string) => call<Container>("copy", { id });
  updateContainer = (id: string, req: ContainerUpdate) => call<Container>("update_container", { id, req });
  snapshots = (id: string) => call<Snapshot[]>("snapshots", { id });
  restoreSnapshot = (id: string, name: string) => call<Container>("restore_snapshot", { id, name });
  deleteSnapshot = (id: string, name: string) => call<Snapshot>("delete_snapshot", { id, name });
  statusLogs = (id: string) => call<StatusLogEntry[]>("status_logs", { id });
  stats = (id: string) => call<RuntimeInfo>("stats", { id });
  openUrl = async (url: string) => void (await call<void>("open_url", { url }));
  openService = (id: string, service: string, start: boolean) => call<string>("open_service", { id, service, start });
  generateSshKey = (name: string) => call<GeneratedSshKey>("generate_ssh_key", { name });
  servers = () => call<ServerEntry[]>("servers");
  addRemote = (name: string, url: string, token: string) => call<SecretStore>("add_remote", { name, url, token });
  localApiToken = () => call<string>("local_api_token");
  removeRemote = async (name: string) => void (await call<void>("remove_remote", { name }));
  quit = (stopRunning: boolean) => call<void>("quit", { stopRunning });
  ready = () => call<void>("ui_ready");

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
      listen<{ id: string; service: string; link: string }>("deep-link-confirm", (e) => handlers.confirmStart(e.payload)),
      listen<{ message: string }>("deep-link-refused", (e) => handlers.refused(e.payload.message)),
      listen("quit-requested", () => handlers.quitRequested()),
    ];
    return () => stops.forEach((stop) => stop.then((unlisten) => unlisten()));
  }
}
