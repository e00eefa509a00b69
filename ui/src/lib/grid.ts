// What the grid (or the list) shows: containers filtered by search and facets, sorted, grouped.
import type { Container } from "./bindings/Container";
import type { ContainerStatus } from "./bindings/ContainerStatus";
import { labelOf } from "./colors";

export type GroupBy = "none" | "server" | "project" | "realm" | "color" | "status";
export type SortBy = "name" | "status" | "created" | "color" | "project" | "server" | "image" | "cpu" | "memory";
/** Cards in a grid, or one line per container with sortable columns and live figures. */
export type Layout = "grid" | "list";

/** A running container's latest figures (the list's CPU and memory columns). */
export interface Latest {
  cpu: number | null;
  memory: number;
}

export interface View {
  search: string;
  status: ContainerStatus | "";
  server: string;
  project: string;
  realm: string;
  color: string;
  groupBy: GroupBy;
  sortBy: SortBy;
  /** The sort turned around (a list column clicked twice). */
  descending: boolean;
  layout: Layout;
}

export const EMPTY_VIEW: View = {
  search: "",
  status: "",
  server: "",
  project: "",
  realm: "",
  color: "",
  groupBy: "none",
  sortBy: "name",
  descending: false,
  layout: "grid",
};

/** Columns whose first sort is descending: the busiest container first. */
const DESCENDING_FIRST: SortBy[] = ["cpu", "memory"];

/** `view` sorted by `column`: the same column again turns the order around; another starts in
 *  its natural order. */
export function sortedBy(view: View, column: SortBy, again = view.sortBy === column): View {
  return { ...view, sortBy: column, descending: again ? !view.descending : DESCENDING_FIRST.includes(column) };
}

export interface Group {
  key: string;
  title: string;
  containers: Container[];
}

/** Lower-case words a search matches against: name, id, image, comment, status, label. */
function haystack(c: Container, projectName: (id: string) => string): string {
  return [c.name, c.id, c.container_image, c.comment ?? "", c.status, c.server_name, projectName(c.project_id), labelOf(c.color).name]
    .join(" ")
    .toLowerCase();
}

const STATUS_ORDER: ContainerStatus[] = ["running", "paused", "claiming", "creating", "copying", "stopped", "failed", "deleting", "deleted"];

export function arrange(
  all: Container[],
  view: View,
  projectName: (id: string) => string = (id) => id,
  realmName: (id: string) => string = (id) => id,
  latest: (id: string) => Latest | undefined = () => undefined,
): Group[] {
  const words = view.search.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = all.filter(
    (c) =>
      (!view.status || c.status === view.status) &&
      (!view.server || c.server_name === view.server) &&
      (!view.project || c.project_id === view.project) &&
      (!view.realm || c.realm_ids.includes(view.realm as never)) &&
      (!view.color || labelOf(c.color).name === view.color) &&
      (words.length === 0 || words.every((w) => haystack(c, projectName).includes(w))),
  );
  const byName = (a: Container, b: Container) => a.name.localeCompare(b.name);
  const text = (of: (c: Container) => string) => (a: Container, b: Container) => of(a).localeCompare(of(b)) || byName(a, b);
  // Least first (a view sorted by a figure starts descending: see `sortedBy`); containers
  // without figures (not running, not read yet) below every figure.
  const figure = (of: (l: Latest) => number | null) => (a: Container, b: Container) => {
    const [x, y] = [latest(a.id), latest(b.id)].map((l) => (l ? of(l) : null) ?? -1);
    return x - y || byName(a, b);
  };
  const compare: Record<SortBy, (a: Container, b: Container) => number> = {
    name: byName,
    status: (a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || byName(a, b),
    created: (a, b) => b.created_at.localeCompare(a.created_at) || byName(a, b),
    color: text((c) => labelOf(c.color).name),
    project: text((c) => projectName(c.project_id)),
    server: text((c) => c.server_name),
    image: text((c) => c.container_image),
    cpu: figure((l) => l.cpu),
    memory: figure((l) => l.memory),
  };
  const order = compare[view.sortBy];
  shown.sort(view.descending ? (a, b) => order(b, a) : order);
  const keysOf = (c: Container): string[] => {
    switch (view.groupBy) {
      case "none":
        return [""];
      case "server":
        return [c.server_name];
      case "project":
        return [c.project_id];
      case "realm":
        return c.realm_ids.length ? [...c.realm_ids] : ["(no realm)"];
      case "color":
        return [labelOf(c.color).name];
      case "status":
        return [c.status];
    }
  };
  const groups = new Map<string, Group>();
  for (const c of shown) {
    for (const key of keysOf(c)) {
      const title = view.groupBy === "project" ? projectName(key) : view.groupBy === "realm" ? realmName(key) : key;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { key, title, containers: [] }));
      group.containers.push(c);
    }
  }
  return [...groups.values()].sort((a, b) => a.title.localeCompare(b.title));
}
