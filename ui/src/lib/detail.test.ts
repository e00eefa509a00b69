import { expect, it } from "vitest";
import { cpuPercent, formatBytes, formatDuration } from "./detail";

it("measures CPU use between two samples", () => {
  expect(cpuPercent(null, { cpuNs: 5e9, atMs: 1000 })).toBeNull();
  expect(cpuPercent({ cpuNs: 0, atMs: 0 }, { cpuNs: 1e9, atMs: 2000 })).toBeCloseTo(50);
  expect(cpuPercent({ cpuNs: 0, atMs: 0 }, { cpuNs: 4e9, atMs: 2000 })).toBeCloseTo(200);
  // A restart resets the counter: no figure rather than a negative one.
  expect(cpuPercent({ cpuNs: 9e9, atMs: 0 }, { cpuNs: 1e9, atMs: 2000 })).toBeNull();
});

it("words sizes and durations", () => {
  expect(formatBytes(512)).toBe("512 B");
  expect(formatBytes(1536)).toBe("1.5 KiB");
  expect(formatBytes(300 * 1024 * 1024)).toBe("300 MiB");
  expect(formatDuration(42_000)).toBe("42 s");
  expect(formatDuration(3_723_000)).toBe("1 h 2 min");
  expect(formatDuration(90_061_000)).toBe("1 d 1 h");
});
