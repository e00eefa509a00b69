import { describe, expect, it } from "vitest";
import { LABELS, contrast, labelOf, normalizeHex, textOn } from "./colors";

describe("colours", () => {
  it("normalises HEX the way the server does", () => {
    expect(normalizeHex("3498DB")).toBe("#3498db");
    expect(normalizeHex("#abc")).toBe("#aabbcc");
    expect(normalizeHex("blue")).toBeNull();
    expect(normalizeHex("#12345")).toBeNull();
  });

  it("keeps text readable on every preset and on extremes", () => {
    for (const fill of [...LABELS.map((l) => l.hex), "#ffffff", "#808080", "#ffff00", "#0000ff"]) {
      expect(contrast(fill, textOn(fill))).toBeGreaterThanOrEqual(3.9);
    }
    expect(textOn("#000000")).toBe("#ffffff");
    expect(textOn("#edd400")).toBe("#000000");
  });

  it("gives every colour a letter, custom colours the nearest preset's", () => {
    expect(new Set(LABELS.map((l) => l.letter)).size).toBe(LABELS.length);
    expect(labelOf("#cc0000").name).toBe("red");
    expect(labelOf("#d00000").name).toBe("red");
    expect(labelOf(null).name).toBe("gray");
  });
});
