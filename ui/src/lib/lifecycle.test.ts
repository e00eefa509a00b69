import { describe, expect, it } from "vitest";
import { allowedActions, allows, isTransitional, menuActions, primaryAction, showsProgress } from "./lifecycle";

describe("lifecycle rules from the engine", () => {
  it("offers only what each state allows", () => {
    expect(allowedActions("running")).toEqual(["stop", "restart", "pause", "force-stop", "snapshot", "copy", "delete"]);
    expect(allowedActions("paused")).toEqual(["stop", "resume", "force-stop", "snapshot", "copy", "delete"]);
    expect(allowedActions("stopped")).toEqual(["start", "snapshot", "copy", "delete"]);
    expect(allowedActions("failed")).toEqual(["retry", "snapshot", "delete"]);
    expect(allowedActions("creating")).toEqual([]);
    expect(allowedActions("deleted")).toEqual([]);
  });

  it("knows the engine's own transitions", () => {
    expect(isTransitional("creating") && isTransitional("copying") && isTransitional("deleting")).toBe(true);
    expect(isTransitional("running")).toBe(false);
    expect(allows("running", "start")).toBe(false);
  });

  it("gives each state one safe primary action and keeps the rest in the menu", () => {
    expect(primaryAction("running")).toBe("stop");
    expect(primaryAction("paused")).toBe("resume");
    expect(primaryAction("stopped")).toBe("start");
    expect(primaryAction("failed")).toBe("retry");
    expect(primaryAction("creating")).toBeNull();
    expect(menuActions("running")).toEqual({ safe: ["restart", "pause", "snapshot", "copy"], destructive: ["force-stop", "delete"] });
    expect(menuActions("paused")).toEqual({ safe: ["stop", "snapshot", "copy"], destructive: ["force-stop", "delete"] });
    expect(menuActions("failed")).toEqual({ safe: ["snapshot"], destructive: ["delete"] });
  });

  it("offers a copy, stopped, its source's files again", () => {
    expect(allowedActions("stopped", true)).toEqual(["start", "snapshot", "copy", "sync", "delete"]);
    expect(allowedActions("stopped")).not.toContain("sync");
    expect(menuActions("running", true).safe).not.toContain("sync");
    expect(menuActions("stopped", true)).toEqual({ safe: ["snapshot", "copy", "sync"], destructive: ["delete"] });
  });
});

describe("a card's progress", () => {
  const at = (done: number, total: number) => ({ stage: "copying to west", done, total });
  it("shows work under way, also on a settled container, until it is done", () => {
    expect(showsProgress("creating", at(1, 0))).toBe(true);
    expect(showsProgress("running", at(10, 100))).toBe(true);
    expect(showsProgress("running", at(100, 100))).toBe(false);
    expect(showsProgress("stopped", null)).toBe(false);
  });
});
