// The gates of a container's kit URLs (its proxy permissions), as the detail view offers them:
// one click puts every URL behind a password made here, one click opens them again.
import type { ProxyPermissions } from "./bindings/ProxyPermissions";
import type { ProxyPermissionsReplace } from "./bindings/ProxyPermissionsReplace";

/** The user name of the one-click password gate. */
export const GATE_USER = "hoody";

/** `bytes` random bytes as URL-safe text (the browser's and the webview's crypto). */
function randomText(bytes: number): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Every URL of the container behind one password, made here (18 random bytes). */
export function passwordGate(projectId: string): { body: ProxyPermissionsReplace; password: string } {
  const password = randomText(18);
  return {
    password,
    body: {
      project: projectId,
      groups: { owner: { type: "password", username: GATE_USER, password, salt: randomText(12) } },
      permissions: { owner: { "*": true } },
      default: "deny",
      enable_proxy: true,
    },
  };
}

/** Whether the URLs are open to anyone who has them. */
export function isOpen(gates: ProxyPermissions): boolean {
  return gates.enable_proxy && gates.default === "allow";
}

/** The gates in a sentence. */
export function gateSummary(gates: ProxyPermissions): string {
  if (!gates.enable_proxy) return "Nobody: the proxy is turned off for this container.";
  if (gates.default === "allow") return "Anyone who has its URLs.";
  const groups = Object.entries(gates.groups);
  if (groups.length === 0) return "Nobody: every request is refused.";
  const passwords = groups.flatMap(([, g]) => (g && g.type === "password" ? [g.username] : []));
  if (groups.length === 1 && passwords.length === 1) return `Only with the password of user ${passwords[0]}.`;
  return `Only who passes one of its ${groups.length} gates (${groups.map(([name]) => name).join(", ")}).`;
}
