import { describe, expect, it } from "vitest";
import { diskLevel, diskText } from "./disk";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

describe("the disk's level", () => {
  it("is full below twice the engine's reserve", () => {
    expect(diskLevel(40 * MiB, 500 * GiB)).toBe("full");
    expect(diskLevel(5 * MiB, 64 * MiB)).toBe("full");
    expect(diskText(5 * MiB, 64 * MiB)).toMatch(/^Disk full: 5\.0 MiB free of 64 MiB\. New containers/);
  });

  it("is low below a tenth of the disk, or 5 GiB on a big one", () => {
    expect(diskLevel(4 * GiB, 500 * GiB)).toBe("low");
    expect(diskLevel(20 * GiB, 500 * GiB)).toBe("ok");
    expect(diskLevel(1.5 * GiB, 20 * GiB)).toBe("low");
    expect(diskText(20 * GiB, 500 * GiB)).toBe("20 GiB free of 500 GiB");
  });
});
