// How the grid says a server's health in words.
import type { ServerHealth } from "./bindings/ServerHealth";
import type { ServerReach } from "./bindings/ServerReach";
import type { ServerEntry } from "./bindings/ServerEntry";
import type { Container } from "./bindings/Container";
import { allows } from "./lifecycle";

const REACH: Record<ServerReach, string> = {
  connected: "connected",
  unreachable: "unreachable",
  token_refused: "refused the token",
  rate_limited: "is rate-limited",
  failing: "answers with errors",
};

/** "south unreachable · last known state, it last answered at 21:04" */
export function awayText(server: string, health: ServerHealth, now: Date = new Date()): string {
  const last = health.last_contact ? new Date(health.last_contact) : null;
  const two = (n: number) => String(n).padStart(2, "0");
  const when = last
    ? last.toDateString() === now.toDateString()
      ? `at ${two(last.getHours())}:${two(last.getMinutes())}`
      : `on ${last.getFullYear()}-${two(last.getMonth() + 1)}-${two(last.getDate())}`
    : null;
  return `${server} ${REACH[health.state]} · last known state${when ? `, it last answered ${when}` : ""}`;
}

/** The servers a container on `from` can be copied to: every other one that answers (a copy
 * travels from one to the other while both do). */
export function copyTargets(servers: readonly ServerEntry[], from: string): string[] {
  return servers.filter((s) => s.name !== from && (s.health === null || s.health.state === "connected") && !s.problem).map((s) => s.name);
}

/** Why container `from` cannot be dropped on a card of server `to` to copy it there (null: it
 * can; the dialog opens with that server chosen). A drop on its own server is no copy. */
export function dropRefusal(from: Container, to: string, servers: readonly ServerEntry[]): string | null {
  if (from.server_name === to) return `${from.name} is on ${to} already: drop it on another server's card`;
  if (!allows(from.status, "copy")) return `${from.name} cannot be copied while it is ${from.status}`;
  if (!copyTargets(servers, from.server_name).includes(to)) return `${to} does not answer now: ${from.name} cannot be copied there`;
  return null;
}
