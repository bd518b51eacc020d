import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadState, saveState } from "./state.ts";

let dir = "";
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const state = {
  controlUrl: "http://127.0.0.1:3000",
  hostId: "host_0123456789ABCDEFGHij",
  orgId: "org_0123456789ABCDEFGHij",
  cloudId: "cld_0123456789ABCDEFGHij",
  credential: "nvh_secret",
  enrolledAt: "2026-11-26T12:00:00.000Z",
};

describe("agent state file", () => {
  it("round-trips, is private, and is absent before enrollment", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-agent-"));
    expect(await loadState(dir)).toBeNull();
    await saveState(dir, state);
    expect(await loadState(dir)).toEqual(state);
    expect((await stat(path.join(dir, "state.json"))).mode & 0o777).toBe(0o600);
  });

  it("refuses a damaged file with its path", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-agent-"));
    await writeFile(path.join(dir, "state.json"), JSON.stringify({ ...state, credential: "stolen" }));
    await expect(loadState(dir)).rejects.toThrow(/state.json is not a valid agent state file/);
  });
});
