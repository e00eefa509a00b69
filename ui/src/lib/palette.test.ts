import { describe, expect, it } from "vitest";
import type { Container } from "./bindings/Container";
import { commandsFor, searchCommands } from "./palette";

const container = (name: string, status: Container["status"], urls: Record<string, string> = {}) =>
  ({ id: `id-${name}`, name, status, urls, container_image: "debian/13", server_name: "local" }) as unknown as Container;

const fleet = [
  container("web-1", "running", { "terminal-1": "http://t", "display-1": "http://d", "http-8080": "http://h" }),
  container("db", "stopped"),
  container("my-web", "running", { "terminal-1": "http://t2" }),
];

describe("the command palette", () => {
  it("offers jumps, services of running containers and legal operations only", () => {
    const titles = commandsFor(fleet).map((c) => c.title);
    expect(titles).toContain("web-1: open Terminal");
    expect(titles).toContain("web-1: open :8080");
    expect(titles).toContain("db: start");
    expect(titles).not.toContain("db: stop");
    expect(titles.some((t) => t.startsWith("db: open"))).toBe(false);
  });

  it("finds by every typed word, best place and jumps first", () => {
    const all = commandsFor(fleet);
    const titles = (q: string) => searchCommands(all, q).map((c) => c.title);
    expect(titles("web")[0]).toBe("web-1");
    expect(titles("web").indexOf("my-web")).toBeGreaterThan(titles("web").indexOf("web-1: open Terminal"));
    expect(titles("web term")).toEqual(["web-1: open Terminal", "my-web: open Terminal"]);
    expect(titles("db start")).toEqual(["db: start"]);
    expect(titles("images")).toEqual(["Images: download and delete"]);
    expect(titles("nothing here")).toEqual([]);
    expect(titles("")).toEqual(["New container", "Images: download and delete", "Settings", "web-1", "db", "my-web"]);
  });

  it("finds one command among those of 2,000 containers", () => {
    const many = Array.from({ length: 2000 }, (_, i) => container(`box-${i}`, i % 2 ? "running" : "stopped", { "terminal-1": "http://t" }));
    const all = commandsFor(many);
    expect(all.length).toBeGreaterThan(10000);
    expect(searchCommands(all, "box-1999 term").map((c) => c.title)).toEqual(["box-1999: open Terminal"]);
    expect(searchCommands(all, "box", 50)).toHaveLength(50);
  });
});
