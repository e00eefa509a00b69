// Which actions a container allows in its current state: the engine's own rules, exported
// from Rust as data (bindings/rules.json), so a button is offered exactly when the engine
// would accept it.
import rules from "./bindings/rules.json";
import type { WorkProgress } from "./bindings/WorkProgress";
import type { ContainerStatus } from "./bindings/ContainerStatus";
import type { Operation } from "./bindings/Operation";

/** "retry": what the platform advises for a failed container — delete it and create it again
 *  (the create dialog opens with its settings, its image changeable). */
export type Action = Operation | "snapshot" | "copy" | "sync" | "delete" | "retry";

export const ACTIONS: readonly Action[] = [
  "retry",
  "start",
  "stop",
  "restart",
  "pause",
  "resume",
  "force-stop",
  "snapshot",
  "copy",
  "sync",
  "delete",
];

export const ACTION_LABELS: Record<Action, string> = {
  start: "Start",
  stop: "Stop",
  restart: "Restart",
  pause: "Pause",
  resume: "Resume",
  "force-stop": "Force stop",
  snapshot: "Snapshot",
  copy: "Copy",
  sync: "Sync from source",
  delete: "Delete",
  retry: "Create again…",
};

const allowedFrom: Record<Action, readonly string[]> = {
  ...(rules.operations as Record<Operation, string[]>),
  snapshot: rules.snapshot,
  copy: rules.copy,
  // A copy gets its source's files again while it is stopped (as a restore needs).
  sync: rules.restore,
  delete: rules.delete,
  retry: ["failed"],
};

/** `isCopy`: the container was copied from another (only a copy is synced). */
export function allows(status: ContainerStatus, action: Action, isCopy = false): boolean {
  return allowedFrom[action].includes(status) && (action !== "sync" || isCopy);
}

export function allowedActions(status: ContainerStatus, isCopy = false): Action[] {
  return ACTIONS.filter((action) => allows(status, action, isCopy));
}

/** The one action a card shows as a button, in a slot of its own that never moves: start a
 *  stopped container, stop a running one, resume a paused one, create a failed one again.
 *  Never destructive. */
export function primaryAction(status: ContainerStatus): Action | null {
  return (["resume", "stop", "start", "retry"] as const).find((action) => allows(status, action)) ?? null;
}

/** The rest of what the state allows, for the card's menu: safe actions first, in their fixed
 *  order, then (apart) the ones that lose work. */
export function menuActions(status: ContainerStatus, isCopy = false): { safe: Action[]; destructive: Action[] } {
  const primary = primaryAction(status);
  const rest = allowedActions(status, isCopy).filter((action) => action !== primary);
  return { safe: rest.filter((a) => !isDestructive(a)), destructive: rest.filter(isDestructive) };
}

/** What a card's badge says while an action is under way. */
export const PENDING_LABELS: Partial<Record<Action, string>> = {
  start: "starting…",
  stop: "stopping…",
  restart: "restarting…",
  pause: "pausing…",
  resume: "resuming…",
  "force-stop": "stopping…",
  snapshot: "saving…",
  copy: "copying…",
  sync: "syncing…",
};

/** Actions that lose work or the container: kept apart from the others, and they ask first. */
export const DESTRUCTIVE: readonly Action[] = ["force-stop", "delete"];

export function isDestructive(action: Action): boolean {
  return DESTRUCTIVE.includes(action);
}

/** The engine is moving the container between states; actions wait for it. */
export function isTransitional(status: ContainerStatus): boolean {
  return rules.transitional.includes(status);
}

/** Whether a card shows `progress`: the work of a status under way (creating, copying…), or
 * work on a settled container that is not done yet (its copy to another server). */
export function showsProgress(status: ContainerStatus, progress: WorkProgress | null | undefined): boolean {
  if (!progress) return false;
  return isTransitional(status) || (progress.total > 0 && progress.done < progress.total);
}

export function isOperation(action: Action): action is Operation {
  return action in rules.operations;
}

/** What deleting loses, as the platform's docs page lists it. */
export const DELETE_LOSSES = [
  "the container's files and everything installed in it",
  "its running processes and open sessions",
  "its /ramdisk contents",
  "its service URLs (terminal, display, files, exec, sqlite, http ports)",
];
