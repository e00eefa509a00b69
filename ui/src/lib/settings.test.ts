import { describe, expect, it } from "vitest";
import { DEFAULTS, loadSettings, saveSettings } from "./settings";

const memory = () => {
  const items = new Map<string, string>();
  return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
};

describe("settings", () => {
  it("come back as saved", () => {
    const storage = memory();
    saveSettings({ theme: "dark", defaultImage: "busybox/1", network: false }, storage);
    expect(loadSettings(storage)).toEqual({ theme: "dark", defaultImage: "busybox/1", network: false });
  });

  it("fall back to the defaults for what is missing or malformed", () => {
    const storage = memory();
    expect(loadSettings(storage)).toEqual(DEFAULTS);
    storage.setItem("hoody-settings", '{"theme":"purple","network":"yes"}');
    expect(loadSettings(storage)).toEqual(DEFAULTS);
    storage.setItem("hoody-settings", "not json");
    expect(loadSettings(storage)).toEqual(DEFAULTS);
  });
});
