// The command palette (Ctrl+K): every container to jump to, each service of a running one to
// open, each operation its state allows, and the app's own commands; found by typed words.
import type { Container } from "./bindings/Container";
import { ACTION_LABELS, allowedActions, type Action } from "./lifecycle";
import { services } from "./services";

export type Command =
  | { kind: "go"; key: string; title: string; detail: string; container: Container }
  | { kind: "open"; key: string; title: string; detail: string; container: Container; url: string }
  | { kind: "act"; key: string; title: string; detail: string; container: Container; action: Action }
  | { kind: "app"; key: string; title: string; detail: string; command: "create" | "images" | "settings" };

const APP_COMMANDS: Command[] = [
  { kind: "app", key: "app:create", title: "New container", detail: "n", command: "create" },
  { kind: "app", key: "app:images", title: "Images: download and delete", detail: "", command: "images" },
  { kind: "app", key: "app:settings", title: "Settings", detail: "theme, new containers, start at login", command: "settings" },
];

export function commandsFor(containers: Container[]): Command[] {
  const commands: Command[] = [...APP_COMMANDS];
  for (const c of containers) {
    const detail = `${c.status} · ${c.container_image} · ${c.server_name}`;
    commands.push({ kind: "go", key: `go:${c.id}`, title: c.name, detail, container: c });
    if (c.status === "running") {
      for (const chip of services(c.urls)) {
        commands.push({ kind: "open", key: `open:${c.id}:${chip.slug}`, title: `${c.name}: open ${chip.label}`, detail: chip.url, container: c, url: chip.url });
      }
    }
    for (const action of allowedActions(c.status)) {
      commands.push({ kind: "act", key: `act:${c.id}:${action}`, title: `${c.name}: ${ACTION_LABELS[action].toLowerCase()}`, detail, container: c, action });
    }
  }
  return commands;
}

/**
 * The commands whose title holds every typed word, best first: a title that starts with the
 * first word, then one where it starts a word, then any; jumps before services before
 * operations; shorter names first; otherwise in the order given. At most `limit`.
 */
export function searchCommands(commands: Command[], query: string, limit = 50): Command[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return commands.filter((c) => c.kind === "app" || c.kind === "go").slice(0, limit);
  const KIND_ORDER = { app: 0, go: 1, open: 2, act: 3 };
  const scored: { command: Command; rank: number[] }[] = [];
  const first = words[0];
  const startsWord = new RegExp(`[\\s:_-]${escape(first)}`);
  commands.forEach((command, index) => {
    const title = command.title.toLowerCase();
    if (!words.every((w) => title.includes(w))) return;
    const place = title.startsWith(first) ? 0 : startsWord.test(title) ? 1 : 2;
    const nameLength = command.kind === "app" ? 0 : command.container.name.length;
    scored.push({ command, rank: [place, KIND_ORDER[command.kind], nameLength, index] });
  });
  scored.sort((a, b) => compareRanks(a.rank, b.rank));
  return scored.slice(0, limit).map((s) => s.command);
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
