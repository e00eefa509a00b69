import { describe, expect, it } from "vitest";
import { awayText, copyTargets } from "./servers";
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
