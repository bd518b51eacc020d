import { INSTANCE_STATUSES, type InstanceStatus } from "@nvi/contracts";
import { describe, expect, it } from "vitest";
import { LIFECYCLE, lifecycleRefusal, type LifecycleKind } from "./lifecycle.ts";

describe("the stop / start / restart state machine", () => {
  const allowed = (kind: LifecycleKind) => INSTANCE_STATUSES.filter((s) => lifecycleRefusal(kind, "web-1", s) === null);

  it("stops a running or failed instance, starts a stopped or failed one, restarts only a running one", () => {
    expect(allowed("instance.stop")).toEqual(["running", "failed"]);
    expect(allowed("instance.start")).toEqual(["stopped", "failed"]);
    expect(allowed("instance.restart")).toEqual(["running"]);
  });

  it("refuses with a message that says what the instance is and what to do", () => {
    expect(lifecycleRefusal("instance.stop", "web-1", "stopped")).toBe("instance web-1 is already stopped");
    expect(lifecycleRefusal("instance.start", "web-1", "running")).toBe("instance web-1 is already running");
    expect(lifecycleRefusal("instance.restart", "web-1", "stopped")).toBe(
      "instance web-1 is stopped; only running instances can be restarted: start it instead",
    );
    expect(lifecycleRefusal("instance.stop", "web-1", "pending")).toBe(
      "instance web-1 is pending; only running or failed instances can be stopped",
    );
    for (const kind of Object.keys(LIFECYCLE) as LifecycleKind[]) {
      for (const s of ["terminating", "terminated", "pending"] as InstanceStatus[])
        expect(lifecycleRefusal(kind, "x", s)).toMatch(/^instance x is /);
    }
  });

  it("shows a transitional status while queued, and a restart runs both phases' steps in order", () => {
    expect(LIFECYCLE["instance.stop"].requested).toBe("stopping");
    expect(LIFECYCLE["instance.start"].requested).toBe("starting");
    expect(LIFECYCLE["instance.restart"].steps).toEqual([
      ...LIFECYCLE["instance.stop"].steps,
      ...LIFECYCLE["instance.start"].steps,
    ]);
  });
});
