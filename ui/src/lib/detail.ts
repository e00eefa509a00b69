// Figures of the detail view, worded for people: CPU use between two samples, sizes, durations.
import type { RuntimeInfo } from "./bindings/RuntimeInfo";

export interface Sample {
  cpuNs: number;
  atMs: number;
}

export function sampleOf(info: RuntimeInfo, atMs: number): Sample {
  return { cpuNs: Number(info.cpu_usage_ns), atMs };
}

/** CPU use between two samples, in % of one core (200 % = two cores busy); null before two. */
export function cpuPercent(previous: Sample | null, next: Sample): number | null {
  if (!previous || next.atMs <= previous.atMs || next.cpuNs < previous.cpuNs) return null;
  return ((next.cpuNs - previous.cpuNs) / 1e6 / (next.atMs - previous.atMs)) * 100;
}

export function formatBytes(bytes: number | bigint): string {
  let value = Number(bytes);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatDuration(ms: number | bigint): string {
  let s = Math.floor(Number(ms) / 1000);
  if (s < 60) return `${s} s`;
  const parts: string[] = [];
  for (const [size, unit] of [[86400, "d"], [3600, "h"], [60, "min"]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)} ${unit}`);
      s %= size;
    }
  }
  return parts.slice(0, 2).join(" ");
}

/** How many samples a sparkline keeps (two minutes at one every two seconds). */
export const HISTORY = 60;

/** `values` appended with `next`, the oldest dropped beyond `HISTORY`. */
export function remember(values: readonly number[], next: number): number[] {
  return [...values, next].slice(-HISTORY);
}

/** An SVG polyline's points for `values` in a `width`×`height` box: the newest at the right
 *  edge, `HISTORY` samples across, the top at `max` (the largest value when absent, at least 1). */
export function sparkline(values: readonly number[], width: number, height: number, max?: number): string {
  const top = max ?? Math.max(1, ...values);
  const step = width / (HISTORY - 1);
  const first = width - (values.length - 1) * step;
  return values
    .map((v, i) => {
      const x = first + i * step;
      const y = height - (Math.min(Math.max(v, 0), top) / top) * height;
      return `${+x.toFixed(1)},${+y.toFixed(1)}`;
    })
    .join(" ");
}

/** A running container's figures over time: its last sample, the CPU use and memory it gave,
 *  and the histories the sparklines draw. */
export interface Figures {
  previous: Sample;
  cpu: number | null;
  memory: number;
  cpuHistory: number[];
  memoryHistory: number[];
}

/** `before` with the stats read at `atMs` added. */
export function nextFigures(before: Figures | undefined, info: RuntimeInfo, atMs: number): Figures {
  const sample = sampleOf(info, atMs);
  const cpu = cpuPercent(before?.previous ?? null, sample);
  const memory = Number(info.memory_bytes);
  return {
    previous: sample,
    cpu,
    memory,
    cpuHistory: cpu === null ? (before?.cpuHistory ?? []) : remember(before?.cpuHistory ?? [], cpu),
    memoryHistory: remember(before?.memoryHistory ?? [], memory),
  };
}
