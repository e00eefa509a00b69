import { expect, it } from "vitest";
import { HISTORY, cpuPercent, formatBytes, formatDuration, nextFigures, remember, sparkline } from "./detail";

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

it("draws the last two minutes as a sparkline, newest at the right", () => {
  expect(sparkline([0, 50, 100], 118, 20, 100)).toBe("114,20 116,10 118,0");
  expect(sparkline([5], 118, 20)).toBe("118,0");
  expect(sparkline([250], 118, 20, 100)).toBe("118,0");
  let history: number[] = [];
  for (let i = 0; i < HISTORY + 5; i++) history = remember(history, i);
  expect(history).toHaveLength(HISTORY);
  expect(history[0]).toBe(5);
  expect(sparkline(history, 118, 20).split(" ")[0]).toBe("0,18.4"); // 5 of 64
});

it("follows a container's figures from one reading to the next", () => {
  const info = (cpuNs: number, memory: number) => ({ cpu_usage_ns: cpuNs, memory_bytes: memory }) as never;
  const first = nextFigures(undefined, info(0, 100), 0);
  expect([first.cpu, first.memory, first.cpuHistory, first.memoryHistory]).toEqual([null, 100, [], [100]]);
  const second = nextFigures(first, info(500e6, 200), 1000);
  expect([second.cpu, second.cpuHistory, second.memoryHistory]).toEqual([50, [50], [100, 200]]);
});
