// What the UI says when something is refused or fails: a sentence chosen by the error's code,
// with what to do about it. The server's own text is kept only where it states a rule of the
// input (a name's length, a colour's form), which is already written for the person typing.
import type { ErrorCode } from "./bindings/ErrorCode";
import { BackendError } from "./backend/backend";

/** Codes whose server message is shown as it is: the rule the input broke, or (a full disk)
 *  which data directory has how much room, how much more is needed and what to delete. */
const RULES: readonly string[] = [
  "invalid_request",
  "invalid_id",
  "invalid_name",
  "invalid_color",
  "invalid_ssh_key",
  "invalid_image",
  "invalid_environment",
  "invalid_field",
  "invalid_pagination",
  "unknown_realm",
  "immutable_field",
  "insufficient_storage",
];

/** For every other code: what happened, and what to do. */
const SENTENCES: Partial<Record<ErrorCode, string>> = {
  container_must_be_stopped: "This can only change while the container is stopped: stop it, change it, then start it again.",
  project_quota_exceeded: "The project holds as many containers as it may: delete one, or raise the project's limit.",
  duplicate_name: "That name is taken in this project: choose another.",
  duplicate_ssh_key: "That SSH key already belongs to another container: generate a new key for this one.",
  already_granted: "That token already has a permission on this project: change its level instead.",
  rate_limited: "The server is asked too often right now: it will be asked again shortly.",
  wrong_state: "The container is busy with something else or in another state now: wait a moment and try again.",
  not_found: "It is not there any more (deleted elsewhere?): the grid now shows what is.",
  unauthorized: "The server did not accept the token: add the server again with a valid token.",
  forbidden_realm: "This token may not reach that realm: use a token of the realm, or an admin token.",
  precondition_failed: "Someone changed this meanwhile: it has been read again, make your change once more.",
  permission_denied: "This token is not allowed to do that: turn the permission on for it, or use an admin token.",
  runtime_unavailable: "Containers cannot run on that server right now; the Servers dialog says why.",
  runtime_failed: "The container runtime failed on that server; the container's status log has the details.",
  not_implemented: "That server cannot do this yet.",
  not_offered: "That is a Hoody cloud service (marketplace, billing, rentals): a self-hosted server has none.",
  internal: "Something went wrong on the server; try again, and look at its log if it persists.",
};

/** The sentence for a failure (an error's code picks it; anything else is shown as it came). */
export function messageFor(e: unknown): string {
  if (!(e instanceof BackendError)) return e instanceof Error ? e.message : String(e);
  if (RULES.includes(e.code)) return e.message;
  return SENTENCES[e.code as ErrorCode] ?? e.message;
}

/** A failed container's reason, in brief for its card: "Creation failed" from the engine's
 *  "creation failed: the container runtime failed: …" (the detail view shows it whole). */
export function failureHeadline(reason: string): string {
  const what = /^(.+?) failed(?:[:,]|$)/.exec(reason)?.[1];
  return what && what.length <= 40 ? `${what[0].toUpperCase()}${what.slice(1)} failed` : "Failed";
}
