import { describe, expect, it } from "vitest";
import { awayText } from "./servers";

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
