import { describe, expect, it } from "vitest";
import { GATE_USER, gateSummary, isOpen, passwordGate } from "./gates";
import type { ProxyPermissions } from "./bindings/ProxyPermissions";

const open: ProxyPermissions = { enable_proxy: true, default: "allow", groups: {}, permissions: {}, etag: "e" };

describe("gates", () => {
  it("puts every URL behind a fresh password", () => {
    const a = passwordGate("p1");
    const b = passwordGate("p1");
    expect(a.password).not.toEqual(b.password);
    expect(a.password.length).toBeGreaterThanOrEqual(24);
    expect(a.body.project).toBe("p1");
    expect(a.body.default).toBe("deny");
    expect(a.body.permissions).toEqual({ owner: { "*": true } });
    expect(a.body.groups.owner).toMatchObject({ type: "password", username: GATE_USER, password: a.password });
  });

  it("tells the gates in a sentence", () => {
    expect(isOpen(open)).toBe(true);
    expect(gateSummary(open)).toBe("Anyone who has its URLs.");
    const locked: ProxyPermissions = {
      ...open,
      default: "deny",
      groups: { owner: { type: "password", username: "hoody", algorithm: "sha256", salt: "s" } },
    };
    expect(isOpen(locked)).toBe(false);
    expect(gateSummary(locked)).toBe("Only with the password of user hoody.");
    expect(gateSummary({ ...locked, enable_proxy: false })).toMatch(/turned off/);
    expect(gateSummary({ ...locked, groups: { a: { type: "ip", range: "10.0.0.0/8" }, b: { type: "token" } } })).toMatch(
      /one of its 2 gates \(a, b\)/,
    );
  });
});
