import { expect, it } from "vitest";
import { services } from "./services";

it("lists the kit services first, then open ports in order", () => {
  const chips = services({
    "http-8080": "u8080",
    "files-1": "uf",
    "terminal-1": "ut",
    "http-80": "u80",
    "https-443": "u443",
  });
  expect(chips.map((c) => c.label)).toEqual(["Terminal", "Files", ":80", ":443 (TLS)", ":8080"]);
  expect(chips[0].url).toBe("ut");
});
