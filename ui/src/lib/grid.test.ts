import { describe, expect, it } from "vitest";
import type { Container } from "./bindings/Container";
import { EMPTY_VIEW, arrange, sortedBy } from "./grid";
import { sampleContainer } from "./sample";

const container = sampleContainer;

const all = [
  container("web", { color: "#cc0000", comment: "public site" }),
  container("db", { status: "stopped", color: "#3465a4", project_id: "p2" }),
  container("cache", { status: "paused", color: "#cc0000", realm_ids: ["r1" as never] }),
];

describe("arranging the grid", () => {
  it("searches every word in names, comments, statuses and labels", () => {
    const names = (search: string) => arrange(all, { ...EMPTY_VIEW, search })[0]?.containers.map((c) => c.name) ?? [];
    expect(names("public")).toEqual(["web"]);
    expect(names("red")).toEqual(["cache", "web"]);
    expect(names("red paused")).toEqual(["cache"]);
    expect(names("nothing-like-it")).toEqual([]);
  });

  it("filters by facet and sorts", () => {
    const one = (view: Partial<typeof EMPTY_VIEW>) => arrange(all, { ...EMPTY_VIEW, ...view })[0].containers.map((c) => c.name);
    expect(one({ status: "stopped" })).toEqual(["db"]);
    expect(one({ project: "p2" })).toEqual(["db"]);
    expect(one({ color: "red", sortBy: "status" })).toEqual(["web", "cache"]);
  });

  it("sorts by the list's columns, either way, live figures busiest first", () => {
    const names = (view: Partial<typeof EMPTY_VIEW>, latest?: Parameters<typeof arrange>[4]) =>
      arrange(all, { ...EMPTY_VIEW, ...view }, (id) => (id === "p1" ? "alpha" : "beta"), undefined, latest)[0].containers.map((c) => c.name);
    expect(names({ sortBy: "project" })).toEqual(["cache", "web", "db"]);
    expect(names({ sortBy: "project", descending: true })).toEqual(["db", "web", "cache"]);
    const figures = new Map([
      ["web", { cpu: 3, memory: 10 }],
      ["cache", { cpu: null, memory: 50 }],
    ]);
    const latest = (id: string) => figures.get(all.find((c) => c.id === id)!.name);
    expect(names({ sortBy: "cpu", descending: true }, latest)).toEqual(["web", "db", "cache"]);
    expect(names({ sortBy: "memory", descending: true }, latest)).toEqual(["cache", "web", "db"]);
    expect(names({ sortBy: "memory" }, latest)).toEqual(["db", "web", "cache"]);
  });

  it("starts figures busiest first and turns a column around when it is chosen again", () => {
    const memory = sortedBy(EMPTY_VIEW, "memory");
    expect([memory.sortBy, memory.descending]).toEqual(["memory", true]);
    expect(sortedBy(memory, "memory").descending).toBe(false);
    expect(sortedBy(memory, "name").descending).toBe(false);
    expect(sortedBy(sortedBy(memory, "name"), "name").descending).toBe(true);
  });

  it("groups, with project names and containers in several realms", () => {
    const groups = arrange(all, { ...EMPTY_VIEW, groupBy: "project" }, (id) => (id === "p1" ? "alpha" : "beta"));
    expect(groups.map((g) => [g.title, g.containers.length])).toEqual([["alpha", 2], ["beta", 1]]);
    const realms = arrange(all, { ...EMPTY_VIEW, groupBy: "realm" });
    expect(realms.map((g) => g.title)).toEqual(["(no realm)", "r1"]);
    const named = arrange(all, { ...EMPTY_VIEW, groupBy: "realm" }, undefined, (id) => (id === "r1" ? "team-a" : id));
    expect(named.map((g) => g.title)).toEqual(["(no realm)", "team-a"]);
  });

  it("arranges 2,000 containers", () => {
    const many = Array.from({ length: 2000 }, (_, i) => container(`c${i}`, { color: i % 2 ? "#cc0000" : "#73d216" }));
    const groups = arrange(many, { ...EMPTY_VIEW, groupBy: "color", search: "c1" });
    expect(groups.reduce((n, g) => n + g.containers.length, 0)).toBe(1111);
  });
});
