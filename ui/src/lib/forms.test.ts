import { describe, expect, it } from "vitest";
import type { Container } from "./bindings/Container";
import { checkCreate, checkEdit, editFieldsOf, fieldsNeedingStop, mustStopToSave, updateFor } from "./forms";

const ok = { name: "", color: "#3465a4", comment: "", env: [], newProject: null };

it("accepts an empty name (a random one) and 'rand'", () => {
  expect(checkCreate(ok)).toEqual({});
  expect(checkCreate({ ...ok, name: "rand" })).toEqual({});
  expect(checkCreate({ ...ok, name: "web-01_a" })).toEqual({});
});

it("refuses what the server refuses, in its words", () => {
  expect(checkCreate({ ...ok, name: "no spaces" }).name).toMatch(/must be 3-100 characters/);
  expect(checkCreate({ ...ok, name: "ab" }).name).toBeDefined();
  expect(checkCreate({ ...ok, name: "x".repeat(101) }).name).toBeDefined();
  expect(checkCreate({ ...ok, color: "blue" }).color).toMatch(/not a HEX colour/);
  expect(checkCreate({ ...ok, env: [{ key: "1X", value: "" }] }).env).toBeDefined();
  expect(checkCreate({ ...ok, env: [{ key: "A", value: "1" }, { key: "A", value: "2" }] }).env).toMatch(/once/);
  expect(checkCreate({ ...ok, newProject: " " }).newProject).toBeDefined();
});

describe("the edit dialog", () => {
  const c = {
    name: "web-1",
    color: "#73D216",
    comment: null,
    environment_vars: { A: "1", B: "2" },
    ssh_public_key: null,
    realm_ids: ["r1", "r2"],
    autostart: false,
    ai: false,
    cache: false,
    ramdisk: true,
    network: true,
    nesting: false,
  } as unknown as Container;

  it("sends only what changed", () => {
    const same = editFieldsOf(c);
    expect(updateFor(c, same)).toEqual({});
    expect(updateFor(c, { ...same, network: false })).toEqual({ network: false });
    expect(updateFor(c, { ...same, nesting: true })).toEqual({ nesting: true });
    expect(updateFor(c, { ...same, env: [{ key: "B", value: "2" }, { key: "A", value: "1" }] })).toEqual({});
    expect(updateFor(c, { ...same, color: "73d216" })).toEqual({});
    expect(updateFor(c, { ...same, color: "", comment: " hi ", cache: true })).toEqual({ color: null, comment: "hi", cache: true });
    expect(updateFor(c, { ...same, env: [{ key: "A", value: "3" }] })).toEqual({ environment_vars: { A: "3" } });
    expect(updateFor(c, { ...same, realmIds: ["r2", "r1"] })).toEqual({});
    expect(updateFor(c, { ...same, realmIds: ["r2"] })).toEqual({ realm_ids: ["r2"] });
  });

  it("knows which changes need a stopped container, from the engine's list", () => {
    const rename = updateFor(c, { ...editFieldsOf(c), name: "web-2", color: "#000000" });
    expect(fieldsNeedingStop(rename)).toEqual(["name"]);
    expect(mustStopToSave("running", rename)).toBe(true);
    expect(mustStopToSave("paused", rename)).toBe(true);
    expect(mustStopToSave("stopped", rename)).toBe(false);
    expect(mustStopToSave("running", { color: "#000000", autostart: true })).toBe(false);
  });

  it("refuses an empty name", () => {
    expect(checkEdit({ ...editFieldsOf(c), name: " " }).name).toMatch(/needs a name/);
    expect(checkEdit(editFieldsOf(c))).toEqual({});
  });
});
