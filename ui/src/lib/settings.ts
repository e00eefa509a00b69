// The user's settings of this UI: its theme and what a new container starts from. Kept in the
// browser's storage (the window's own, in the desktop app), so each place remembers its own.
import rules from "./bindings/rules.json";

export type Theme = "system" | "light" | "dark";

export interface Settings {
  theme: Theme;
  /** The image the create dialog proposes first (when the server has or can download it). */
  defaultImage: string;
  /** Whether a new container has a network unless unticked. */
  network: boolean;
}

export const DEFAULTS: Settings = { theme: "system", defaultImage: rules.default_image, network: true };
const KEY = "hoody-settings";

export function loadSettings(storage: Pick<Storage, "getItem"> = localStorage): Settings {
  try {
    const saved = JSON.parse(storage.getItem(KEY) ?? "{}") as Partial<Settings>;
    const theme: Theme = saved.theme === "light" || saved.theme === "dark" ? saved.theme : "system";
    return {
      theme,
      defaultImage: typeof saved.defaultImage === "string" && saved.defaultImage ? saved.defaultImage : DEFAULTS.defaultImage,
      network: typeof saved.network === "boolean" ? saved.network : DEFAULTS.network,
    };
  } catch {
    return { ...DEFAULTS };
  }
}

export function saveSettings(settings: Settings, storage: Pick<Storage, "setItem"> = localStorage) {
  storage.setItem(KEY, JSON.stringify(settings));
}

/** The theme on the page: light or dark as chosen, or the system's. */
export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement) {
  if (theme === "system") delete root.dataset.theme;
  else root.dataset.theme = theme;
}
