import { describe, expect, it } from "vitest";
import type { Image } from "./bindings/Image";
import { failure, importProblem, inProgress, outcome } from "./images";

const image = (over: Partial<Image>): Image => ({
  alias: "debian/13",
  os: "debian",
  release: "13",
  fingerprint: "",
  size_bytes: 0,
  description: "",
  created_at: "",
  status: "ready",
  used_by: 0,
  ...over,
});

describe("images", () => {
  it("knows which statuses are work under way", () => {
    expect(inProgress(image({ status: "building" }))).toBe(true);
    expect(inProgress(image({ status: "importing" }))).toBe(true);
    expect(inProgress(image({ status: "downloading" }))).toBe(true);
    expect(inProgress(image({ status: "failed" }))).toBe(false);
    expect(inProgress(image({ status: "ready" }))).toBe(false);
  });

  it("says which work failed and why", () => {
    expect(failure(image({ status: "failed", work: "build", error: "mmdebstrap failed" }))).toBe(
      "The build of debian/13 failed: mmdebstrap failed",
    );
    expect(failure(image({ status: "failed", work: "import" }))).toContain("The import of debian/13 failed");
  });

  it("says how work ended", () => {
    expect(outcome("debian/13", "build", image({ status: "ready" }))).toBe("debian/13 is built: containers can be created from it");
    expect(outcome("x/1", "import", image({ status: "failed", error: "not a tarball" }))).toBe("x/1 was not imported: not a tarball");
    expect(outcome("x/1", "download", undefined)).toBe("x/1 was not downloaded");
  });

  it("checks the import form before sending it", () => {
    expect(importProblem("custom", "/tmp/a.tar")).toContain("os/release");
    expect(importProblem("custom/1", "a.tar")).toContain("absolute path");
    expect(importProblem("custom/1", "/tmp/a.tar")).toBe("");
  });
});
