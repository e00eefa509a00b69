import { expect, it } from "vitest";
import { checkCreate } from "./forms";

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
