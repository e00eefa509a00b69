// The one interface the UI reaches the engine through. Two transports implement it: HTTP
// (REST + server-sent events against hoodyd, for the browser) and Tauri (commands and events
// of the desktop app's own engine). Types come from Rust (../bindings).
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
import type { OperationName } from "../bindings/operations";
import type { Answer, Call } from "./operations";

export interface Backend {
  /** Any operation of the Hoody API by its declared name (../bindings/operations.ts), on `server`
   * (absent: the one holding what it names, else this one). */
  operation<N extends OperationName>(op: N, call: Call<N>, server?: string): Promise<Answer<N>>;
  /** Every container the caller may see, with runtime details (urls, processes). */
  containers(): Promise<Container[]>;
  container(id: string): Promise<Container>;
  /** The projects of `server` (this one when absent); `all`: of every server, for names. */
  projects(server?: string, all?: boolean): Promise<Project[]>;
  createProject(req: ProjectCreate, server?: string): Promise<Project>;
  images(server?: string): Promise<Image[]>;
  /** The realms of `server` (this one when absent), to scope containers to. */
  realms(server?: string): Promise<Realm[]>;
  createContainer(projectId: string, req: ContainerCreate, server?: string): Promise<Container>;
  operate(id: string, op: Operation): Promise<Container>;
  deleteContainer(id: string): Promise<void>;
  snapshot(id: string, req: SnapshotCreate): Promise<Snapshot>;
  copy(id: string): Promise<Container>;
  /** A copy into project `projectId` of server `server` (another one: its files travel there). */
  copyTo(id: string, server: string, projectId: string, name?: string): Promise<Container>;
  /** A stopped copy gets its source's current files again. */
  sync(id: string): Promise<Container>;
  /** Changes the updatable fields; some need the container stopped (rules.fields_needing_stop). */
  updateContainer(id: string, req: ContainerUpdate): Promise<Container>;
  snapshots(id: string): Promise<Snapshot[]>;
  restoreSnapshot(id: string, name: string): Promise<Container>;
  deleteSnapshot(id: string, name: string): Promise<Snapshot>;
  statusLogs(id: string): Promise<StatusLogEntry[]>;
  /** Live figures of a running container: processes, ports, CPU, memory, kit services. */
  stats(id: string): Promise<RuntimeInfo>;
  /** Opens a service URL in the user's browser. */
  openUrl(url: string): Promise<void>;
  /** Follows container changes until the returned function is called. */
  subscribe(listener: Listener): () => void;
  /** Desktop only: open a service, starting a stopped container when `start` is set. */
  openService?(id: string, service: string, start: boolean): Promise<string>;
  /** Desktop only: a new ed25519 key pair for container `name`, saved as ~/.ssh/hoody-<name>. */
  generateSshKey?(name: string): Promise<GeneratedSshKey>;
  /** Desktop only: this machine and the remote endpoints, with what went wrong reading each. */
  servers?(): Promise<ServerEntry[]>;
  /** Desktop only: every server's last known containers (kept locally), asking none. */
  knownContainers?(): Promise<Container[]>;
  /** Desktop only: adds a remote endpoint once it accepts the token (kept in the OS keyring). */
  addRemote?(name: string, url: string, token: string): Promise<SecretStore>;
  removeRemote?(name: string): Promise<void>;
  /** Desktop only: the token of this machine's REST API (kept in the OS keyring). */
  localApiToken?(): Promise<string>;
  /** Desktop only: whether the app starts at login. */
  startAtLogin?(): Promise<boolean>;
  /** Desktop only: makes the app start at login (in the tray), or not. */
  setStartAtLogin?(on: boolean): Promise<void>;
  /** Desktop only: quit the app, stopping running containers first or not. */
  quit?(stopRunning: boolean): Promise<void>;
  /** Desktop only: tells the shell the first screen is drawn. */
  ready?(showing?: string): Promise<void>;
  /** Why the desktop's engine did not start (a damaged database…), or null when it runs. */
  startFailure?(): Promise<string | null>;
  /** Desktop only: the one-time set-up of this computer (`pkexec hoodyd host-setup`, the
   * system's password prompt); answers what it changed. */
  setUpThisComputer?(): Promise<string[]>;
  /** Desktop only: starts the app again in place, for its engine to read the set-up. */
  startAgain?(): Promise<void>;
  /** Desktop only: what the shell asks of the window (deep links, quitting). */
  onDesktop?(handlers: DesktopHandlers): () => void;
}

export interface DesktopHandlers {
  /** A deep link names a stopped (or paused) container: ask before starting (resuming) it. */
  confirmStart(request: { id: string; service: string; link: string; wake?: "start" | "resume" }): void;
  /** A deep link was malformed or cannot be opened: say why. */
  refused(message: string): void;
  /** Quit was chosen while containers run: ask whether to stop them. */
  quitRequested(): void;
}

export interface Listener {
  /** One container changed. */
  event(event: ContainerEvent): void;
  /** Changes may have been missed (a reconnect, a slow reader): read everything again. */
  resync(): void;
  /** Whether the stream of changes is connected. */
  connected(connected: boolean): void;
}

/** A refusal from the engine: the HTTP status, its stable machine code, and its message. */
export class BackendError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "BackendError";
  }
}
