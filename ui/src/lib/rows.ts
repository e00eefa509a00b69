// The grid drawn in rows, so that only the rows in view are in the page: thousands of cards
// stay smooth to scroll. Rows are group headers or lines of cards; their heights are measured
// once drawn and estimated until then.
import type { Container } from "./bindings/Container";
import type { Group } from "./grid";

export type Row =
  | { kind: "header"; key: string; title: string; count: number }
  | { kind: "cards"; key: string; containers: Container[] };

/** The narrowest a card may be, and the gap between cards (px); the CSS uses the same. */
export const CARD_MIN_WIDTH = 240;
export const GAP = 10;
const ESTIMATE = { header: 40, cards: 160 };

/** How many cards fit side by side in `width` pixels (at least one). */
export function columnsFor(width: number): number {
  return Math.max(1, Math.floor((width + GAP) / (CARD_MIN_WIDTH + GAP)));
}

/** Groups as rows: a header row per group (when grouping) and its cards, `columns` a row. */
export function toRows(groups: Group[], columns: number, headers: boolean): Row[] {
  const rows: Row[] = [];
  for (const group of groups) {
    if (headers) rows.push({ kind: "header", key: `h:${group.key}`, title: group.title, count: group.containers.length });
    for (let i = 0; i < group.containers.length; i += columns) {
      rows.push({ kind: "cards", key: `c:${group.key}:${i / columns}`, containers: group.containers.slice(i, i + columns) });
    }
  }
  return rows;
}

/** Where each row starts (and, last, where the rows end), from measured or estimated heights. */
export function offsetsOf(rows: Row[], measured: (key: string) => number | undefined): number[] {
  const offsets = new Array<number>(rows.length + 1);
  offsets[0] = 0;
  rows.forEach((row, i) => (offsets[i + 1] = offsets[i] + (measured(row.key) ?? ESTIMATE[row.kind])));
  return offsets;
}

/** The rows that overlap [top, bottom): `first` included, `end` excluded. */
export function visibleRange(offsets: number[], top: number, bottom: number): { first: number; end: number } {
  const count = offsets.length - 1;
  // The first row whose end is below `top`, then the first whose start is at or below `bottom`.
  const first = search(count, (i) => offsets[i + 1] > top);
  const end = Math.max(first, search(count, (i) => offsets[i] >= bottom));
  return { first, end };
}

/** The row that holds a container, or -1. */
export function rowOf(rows: Row[], id: string): number {
  return rows.findIndex((row) => row.kind === "cards" && row.containers.some((c) => c.id === id));
}

/** The smallest i in [0, n) with pred(i) true (pred is monotone), or n. */
function search(n: number, pred: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pred(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export type Direction = "left" | "right" | "up" | "down";

/**
 * The container the arrow keys move to from `id`: the one before or after it, or the one in
 * the same column of the card row above or below (the last of a shorter row); null at an edge.
 */
export function neighbour(rows: Row[], id: string, direction: Direction): string | null {
  const cardRows = rows.filter((r): r is Extract<Row, { kind: "cards" }> => r.kind === "cards");
  const at = cardRows.findIndex((r) => r.containers.some((c) => c.id === id));
  if (at < 0) return null;
  const column = cardRows[at].containers.findIndex((c) => c.id === id);
  if (direction === "left" || direction === "right") {
    const flat = cardRows.flatMap((r) => r.containers);
    const index = flat.findIndex((c) => c.id === id) + (direction === "right" ? 1 : -1);
    return flat[index]?.id ?? null;
  }
  const row = cardRows[at + (direction === "down" ? 1 : -1)];
  if (!row) return null;
  return row.containers[Math.min(column, row.containers.length - 1)].id;
}
