// Words and predicates for a server's images and the work on them (download, build, import).
import type { Image } from "./bindings/Image";
import type { ImageWork } from "./bindings/ImageWork";

/** What the server can build with debootstrap, newest first. */
export const BUILDABLE = ["debian/13", "debian/12", "debian/11"] as const;

/** Whether the server is making this image: downloading, building or importing it. */
export function inProgress(image: Image): boolean {
  return image.status === "downloading" || image.status === "building" || image.status === "importing";
}

const NOUN: Record<ImageWork, string> = { download: "download", build: "build", import: "import" };
const DONE: Record<ImageWork, string> = { download: "downloaded", build: "built", import: "imported" };

/** A failed image's problem, in a sentence: what failed, and the server's reason. */
export function failure(image: Image): string {
  const noun = NOUN[image.work ?? "download"];
  return `The ${noun} of ${image.alias} failed: ${image.error ?? "the server gave no reason"}`;
}

/** What to say once work on `alias` ended, `now` being its status then (absent: gone). */
export function outcome(alias: string, work: ImageWork, now: Image | undefined): string {
  if (now?.status === "ready") return `${alias} is ${DONE[work]}: containers can be created from it`;
  return `${alias} was not ${DONE[work]}${now?.error ? `: ${now.error}` : ""}`;
}

/** Why an import form cannot be sent yet, or "" when it can. */
export function importProblem(alias: string, tarball: string): string {
  if (!/^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/i.test(alias.trim())) return "Name the image as os/release, e.g. debian/13";
  if (!tarball.trim().startsWith("/")) return "Give the tarball's absolute path on the server, e.g. /home/me/rootfs.tar.xz";
  return "";
}
