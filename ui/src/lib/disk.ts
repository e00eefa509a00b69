// How full a server's disk is, in words: the header shows it, and warns before writes start to
// be refused (the engine keeps a reserve of 5% of the disk, at most 32 MiB, and refuses work
// that would eat into it).
import { formatBytes } from "./detail";

export type DiskLevel = "ok" | "low" | "full";

const GiB = 1024 ** 3;

/** The level of a disk with `free` of `total` bytes. */
export function diskLevel(free: number, total: number): DiskLevel {
  const reserve = Math.min(total / 20, 32 * 1024 ** 2);
  if (free < 2 * reserve) return "full";
  if (free < Math.min(total / 10, 5 * GiB)) return "low";
  return "ok";
}

/** What the header says of it. */
export function diskText(free: number, total: number): string {
  const words = `${formatBytes(free)} free of ${formatBytes(total)}`;
  switch (diskLevel(free, total)) {
    case "full":
      return `Disk full: ${words}. New containers, snapshots and images are refused until you delete some.`;
    case "low":
      return `Disk nearly full: ${words}`;
    case "ok":
      return words;
  }
}
