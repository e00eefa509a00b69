import { describe, expect, it } from "vitest";
import { BackendError } from "./backend/backend";
import { failureHeadline, messageFor } from "./messages";

describe("messages from codes", () => {
  it("says what to do, chosen by the code, not the server's text", () => {
    const e = new BackendError(409, "container_must_be_stopped", "name can only change while the container is stopped (it is running)");
    expect(messageFor(e)).toBe("This can only change while the container is stopped: stop it, change it, then start it again.");
    expect(messageFor(new BackendError(503, "runtime_unavailable", "runc is not installed (apt-get install runc)"))).toContain("Servers dialog");
    expect(messageFor(new BackendError(401, "unauthorized", "edge refused the token: bad token"))).toContain("add the server again");
  });

  it("keeps the rule an input broke, as the server states it", () => {
    const e = new BackendError(400, "invalid_name", "container name 'ab' is invalid: it must be 3-100 characters");
    expect(messageFor(e)).toBe(e.message);
  });

  it("says where the disk is full and how much room is missing, as the server measured it", () => {
    const e = new BackendError(507, "insufficient_storage", "creating web needs about 3 MiB on the data directory /d, which has 1 MiB free of 64 MiB: 2 MiB more is needed.");
    expect(messageFor(e)).toBe(e.message);
  });

  it("shows what it does not know as it came", () => {
    expect(messageFor(new BackendError(418, "teapot", "short and stout"))).toBe("short and stout");
    expect(messageFor(new Error("offline"))).toBe("offline");
  });

  it("puts a failed container's reason in brief", () => {
    expect(failureHeadline("creation failed: the container runtime failed: runc create: no such image")).toBe("Creation failed");
    expect(failureHeadline("cleaning up after the container stopped failed: EBUSY")).toBe("Cleaning up after the container stopped failed");
    expect(failureHeadline("something odd")).toBe("Failed");
  });
});
