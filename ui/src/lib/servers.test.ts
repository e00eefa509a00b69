import { describe, expect, it } from "vitest";
import { awayText, copyTargets, dropRefusal } from "./servers";
import type { Container } from "./bindings/Container";
import type { ServerEntry } from "./bindings/ServerEntry";
import type { ServerReach } from "./bindings/ServerReach";

describe("a server's health in words", () => {
  const now = new Date("2026-11-30T21:30:00");
  it("names the state and when it last answered", () => {
    const health = { state: "unreachable", reason: "south does not answer", last_contact: "2026-11-30T21:04:00", since: "2026-11-30T21:05:00" } as const;
    expect(awayText("south", health, now)).toMatch(/^south unreachable · last known state, it last answered at 21:04/);
  });
  it("says nothing of a last answer that never came", () => {
    const health = { state: "token_refused", reason: "401", last_contact: null, since: "2026-11-30T21:05:00" } as const;
    expect(awayText("edge", health, now)).toBe("edge refused the token · last known state");
  });
});

describe("where a container can be copied to", () => {
  const at = "2026-11-30T21:05:00";
  const entry = (name: string, state: ServerReach | null, problem: string | null = null): ServerEntry => ({
    name,
    url: null,
    remote: name !== "local",
    problem,
    health: state ? { state, reason: null, last_contact: at, since: at } : null,
  });
  it("offers every other server that answers, never its own nor one away", () => {
    const servers = [entry("local", "connected"), entry("east", "connected"), entry("west", "unreachable"), entry("north", "connected", "no token"), entry("fresh", null)];
    expect(copyTargets(servers, "local")).toEqual(["east", "fresh"]);
    expect(copyTargets(servers, "east")).toEqual(["local", "fresh"]);
    expect(copyTargets([entry("local", "connected")], "local")).toEqual([]);
  });
});

describe("a card dropped on another server's card", () => {
  const at = "2026-11-30T21:05:00";
  const servers: ServerEntry[] = [
    { name: "local", url: null, remote: false, problem: null, health: null },
    { name: "east", url: null, remote: true, problem: null, health: { state: "connected", reason: null, last_contact: at, since: at } },
    { name: "west", url: null, remote: true, problem: null, health: { state: "unreachable", reason: "gone", last_contact: at, since: at } },
  ];
  const on = (server_name: string, status: Container["status"] = "running") => ({ name: "web", server_name, status }) as Container;
  it("opens the copy when the other server answers and the container may be copied", () => {
    expect(dropRefusal(on("local"), "east", servers)).toBeNull();
    expect(dropRefusal(on("east", "stopped"), "local", servers)).toBeNull();
  });
  it("says why not otherwise", () => {
    expect(dropRefusal(on("local"), "local", servers)).toMatch(/on local already/);
    expect(dropRefusal(on("local", "creating"), "east", servers)).toMatch(/while it is creating/);
    expect(dropRefusal(on("local"), "west", servers)).toMatch(/west does not answer/);
  });
});
