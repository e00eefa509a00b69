// The operations of the Hoody API as both transports send them: one list, generated from the
// engine's declaration (../bindings/operations.ts), with typed inputs and answers, and the
// Backend methods that are one operation on one server, written once for both.
import { OPERATIONS, type OperationName, type OperationTypes } from "../bindings/operations";
import type { ContainerCreate } from "../bindings/ContainerCreate";
import type { ContainerUpdate } from "../bindings/ContainerUpdate";
import type { Operation } from "../bindings/Operation";
import type { Pagination } from "../bindings/Pagination";
import type { ProjectCreate } from "../bindings/ProjectCreate";
import type { SnapshotCreate } from "../bindings/SnapshotCreate";

/** An operation's inputs, as an HTTP request carries them. */
export interface Call<N extends OperationName> {
  params?: OperationTypes[N]["params"];
  query?: OperationTypes[N]["query"];
  body?: OperationTypes[N]["body"];
}

export type Answer<N extends OperationName> = OperationTypes[N]["answer"];

/** The largest page the API gives; lists are read page by page. */
export const PAGE = 200;

/** An operation's HTTP request: its first method, and its path under /api/v1 with the
 * parameters filled in (each encoded as one segment) and the query string. */
export function httpRequest<N extends OperationName>(op: N, call: Call<N>): { method: string; path: string } {
  const spec = OPERATIONS[op];
  const params = (call.params ?? {}) as Record<string, string>;
  let path: string = spec.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (params[name] === undefined) throw new Error(`${op} needs its ${name}`);
    return encodeURIComponent(params[name]);
  });
  const query = new URLSearchParams((call.query ?? {}) as Record<string, string>).toString();
  if (query) path += `?${query}`;
  return { method: spec.methods[0], path };
}

/** Every item of a paged list, reading `read(page)` until the last page. */
export async function everyPage<T>(read: (page: number) => Promise<{ pagination: Pagination }>, items: (page: unknown) => T[]) {
  const all: T[] = [];
  for (let page = 1; ; page++) {
    const data = await read(page);
    all.push(...items(data));
    if (page >= data.pagination.totalPages) return all;
  }
}

/** The Backend methods that are one operation on one server, over a transport's `operation`
 * (`server`: the one to ask; absent, the one concerned). */
export abstract class OperationsBackend {
  /** Any operation of the list, on `server` (absent: the one concerned). */
  abstract operation<N extends OperationName>(op: N, call: Call<N>, server?: string): Promise<Answer<N>>;

  container(id: string) {
    return this.operation("get_container", { params: { id }, query: { runtime: "true" } });
  }

  createProject(req: ProjectCreate, server?: string) {
    return this.operation("create_project", { body: req }, server);
  }

  images(server?: string) {
    return this.operation("images", {}, server).then((page) => page.images);
  }

  realms(server?: string) {
    return this.operation("realms", {}, server);
  }

  /** Without a `server_id`, on `server` (its id read first: the API requires one). */
  async createContainer(projectId: string, req: ContainerCreate, server?: string) {
    const serverId = req.server_id ?? (await this.operation("servers", {}, server))[0]?.id;
    return this.operation("create_container", { params: { id: projectId }, body: { ...req, server_id: serverId } }, server);
  }

  operate(id: string, op: Operation) {
    return this.operation("operate", { params: { id, operation: op } });
  }

  async deleteContainer(id: string) {
    await this.operation("delete_container", { params: { id } });
  }

  snapshot(id: string, req: SnapshotCreate) {
    return this.operation("create_snapshot", { params: { id }, body: req });
  }

  copy(id: string) {
    return this.operation("copy_container", { params: { id } });
  }

  /** A copy into project `projectId` of `server`, by the id that server gives itself: on another
   * server the desktop carries the container's files there. */
  async copyTo(id: string, server: string, projectId: string, name?: string) {
    const serverId = (await this.operation("servers", {}, server))[0]?.id;
    if (!serverId) throw new Error(`${server} names no server to copy to`);
    const body = { target_server_id: serverId, target_project_id: projectId, ...(name ? { name } : {}) };
    return this.operation("copy_container", { params: { id }, body });
  }

  sync(id: string) {
    return this.operation("sync_container", { params: { id } });
  }

  updateContainer(id: string, req: ContainerUpdate) {
    return this.operation("update_container", { params: { id }, body: req });
  }

  snapshots(id: string) {
    return this.operation("list_snapshots", { params: { id } }).then((page) => page.snapshots);
  }

  restoreSnapshot(id: string, name: string) {
    return this.operation("restore_snapshot", { params: { id, name } });
  }

  deleteSnapshot(id: string, name: string) {
    return this.operation("delete_snapshot", { params: { id, name } });
  }

  statusLogs(id: string) {
    return this.operation("status_logs", { params: { id } });
  }

  stats(id: string) {
    return this.operation("container_stats", { params: { id } });
  }

  /** Every project of one server. */
  projectsOf(server?: string) {
    const read = (page: number) => this.operation("list_projects", { query: { page: `${page}`, limit: `${PAGE}` } }, server);
    return everyPage(read, (data) => (data as Answer<"list_projects">).projects);
  }
}
