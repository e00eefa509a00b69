import { describe, expect, it } from "vitest";
import type { Container } from "./bindings/Container";
import type { Group } from "./grid";
import { columnsFor, neighbour, offsetsOf, rowOf, toRows, visibleRange } from "./rows";

const containers = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, name: `${prefix}${i}` }) as unknown as Container);
const groups: Group[] = [
  { key: "a", title: "A", containers: containers("a", 5) },
  { key: "b", title: "B", containers: containers("b", 2) },
];

describe("the grid in rows", () => {
  it("fits as many 240 px cards as the width holds", () => {
    expect(columnsFor(0)).toBe(1);
    expect(columnsFor(239)).toBe(1);
    expect(columnsFor(490)).toBe(2);
    expect(columnsFor(1368)).toBe(5);
  });

  it("cuts groups into headers and lines of cards", () => {
    const rows = toRows(groups, 2, true);
    expect(rows.map((r) => (r.kind === "header" ? r.title : r.containers.map((c) => c.id).join(",")))).toEqual([
      "A",
      "a0,a1",
      "a2,a3",
      "a4",
      "B",
      "b0,b1",
    ]);
    expect(toRows(groups, 3, false)).toHaveLength(3);
    expect(rowOf(rows, "a3")).toBe(2);
    expect(rowOf(rows, "nope")).toBe(-1);
  });

  it("finds the rows in view from measured and estimated heights", () => {
    const rows = toRows(groups, 2, true);
    const offsets = offsetsOf(rows, (key) => (key === "c:a:0" ? 100 : undefined));
    expect(offsets).toEqual([0, 40, 140, 300, 460, 500, 660]);
    expect(visibleRange(offsets, 0, 10)).toEqual({ first: 0, end: 1 });
    expect(visibleRange(offsets, 140, 300)).toEqual({ first: 2, end: 3 });
    expect(visibleRange(offsets, 139, 301)).toEqual({ first: 1, end: 4 });
    expect(visibleRange(offsets, 5000, 6000)).toEqual({ first: 6, end: 6 });
    expect(visibleRange(offsets, -100, 100000)).toEqual({ first: 0, end: 6 });
  });

  it("moves with the arrow keys across rows and groups", () => {
    const rows = toRows(groups, 2, true);
    expect(neighbour(rows, "a0", "right")).toBe("a1");
    expect(neighbour(rows, "a1", "right")).toBe("a2");
    expect(neighbour(rows, "a4", "right")).toBe("b0");
    expect(neighbour(rows, "a0", "left")).toBeNull();
    expect(neighbour(rows, "a1", "down")).toBe("a3");
    expect(neighbour(rows, "a3", "down")).toBe("a4");
    expect(neighbour(rows, "a4", "down")).toBe("b0");
    expect(neighbour(rows, "b1", "up")).toBe("a4");
    expect(neighbour(rows, "a0", "up")).toBeNull();
    expect(neighbour(rows, "b1", "down")).toBeNull();
    expect(neighbour(rows, "nope", "down")).toBeNull();
  });
});
