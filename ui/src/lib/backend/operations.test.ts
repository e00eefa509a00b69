import { describe, expect, it } from "vitest";
import { OPERATIONS } from "../bindings/operations";
import { HttpBackend, resumed } from "./http";
import { httpRequest } from "./operations";

describe("the one list of operations", () => {
  it("makes each operation's HTTP request from its declared path", () => {
    expect(httpRequest("operate", { params: { id: "abc", operation: "force-stop" } })).toEqual({
      method: "POST",
      path: "/containers/abc/force-stop",
    });
    // The platform's method first (PATCH; PUT is served too).
    expect(httpRequest("restore_snapshot", { params: { id: "abc", name: "v1 before/after" } })).toEqual({
      method: "PATCH",
      path: "/containers/abc/snapshots/v1%20before%2Fafter",
    });
    expect(httpRequest("list_containers", { query: { runtime: "true", page: "2" } })).toEqual({
      method: "GET",
      path: "/containers/?runtime=true&page=2",
    });
    expect(httpRequest("update_container", { params: { id: "abc" }, body: {} }).method).toBe("PUT");
  });

  it("refuses a call that lacks a path parameter", () => {
    expect(() => httpRequest("get_container", {} as never)).toThrow("get_container needs its id");
  });

  it("sends what the HTTP transport is asked through it, and unwraps the envelope", async () => {
    const seen: string[] = [];
    const fetcher = (async (url: string, init: RequestInit) => {
      seen.push(`${init.method} ${url} ${init.body ?? ""}`);
      const data = { id: "c1", status: "running" };
      return new Response(JSON.stringify({ statusCode: 200, message: "ok", data }));
    }) as typeof fetch;
    const backend = new HttpBackend("http://engine", "t", fetcher);
    expect((await backend.operate("c1", "start")).status).toBe("running");
    await backend.snapshot("c1", { alias: "s1" } as never);
    expect(seen).toEqual([
      "POST http://engine/api/v1/containers/c1/start ",
      'POST http://engine/api/v1/containers/c1/snapshots {"alias":"s1"}',
    ]);
  });

  it("covers every operation with a path and a method", () => {
    for (const [name, spec] of Object.entries(OPERATIONS)) {
      expect(spec.path.startsWith("/"), name).toBe(true);
      expect(spec.methods.length, name).toBeGreaterThan(0);
    }
  });
});

describe("a live stream's ready event", () => {
  it("says whether the stream goes on from the last event the browser got", () => {
    expect(resumed('{"resumed":true}')).toBe(true);
    expect(resumed('{"resumed":false}')).toBe(false);
    expect(resumed("{}")).toBe(false);
    expect(resumed("not json")).toBe(false);
  });
});
