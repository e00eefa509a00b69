import { describe, expect, it } from "vitest";
import { allowedActions, allows, isTransitional } from "./lifecycle";

describe("lifecycle rules from the engine", () => {
  it("offers only what each state allows", () => {
    expect(allowedActions("running")).toEqual(["stop", "restart", "pause", "force-stop", "snapshot", "copy", "delete"]);
    expect(allowedActions("paused")).toEqual(["stop", "resume", "force-stop", "snapshot", "copy", "delete"]);
    expect(allowedActions("stopped")).toEqual(["start", "snapshot", "copy", "delete"]);
    expect(allowedActions("failed")).toEqual(["snapshot", "delete"]);
    expect(allowedActions("creating")).toEqual([]);
    expect(allowedActions("deleted")).toEqual([]);
  });

  it("knows the engine's own transitions", () => {
    expect(isTransitional("creating") && isTransitional("copying") && isTransitional("deleting")).toBe(true);
    expect(isTransitional("running")).toBe(false);
    expect(allows("running", "start")).toBe(false);
  });
});
