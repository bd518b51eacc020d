import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AgentCredential, loadState, saveState } from "./state.ts";

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

describe("a rotated credential", () => {
  it("is on disk before it is used, and used from then on", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-agent-"));
    await saveState(dir, state);
    const credential = new AgentCredential(dir, state);
    expect(credential.current).toBe("nvh_secret");
    await credential.adopt("nvh_rotated");
    expect(credential.current).toBe("nvh_rotated");
    expect((await loadState(dir))?.credential).toBe("nvh_rotated");
  });

  it("is not used when it cannot be saved (the old one keeps working on the console's side)", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-agent-"));
    const file = path.join(dir, "blocked");
    await writeFile(file, "not a directory");
    const credential = new AgentCredential(path.join(file, "state"), state);
    await expect(credential.adopt("nvh_rotated")).rejects.toThrow();
    expect(credential.current).toBe("nvh_secret");
  });
});

describe("a rotated credential", () => {
  it("keeps the previous one until the new one is accepted, and goes back to it when the new one is refused", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-agent-"));
    const c = new AgentCredential(dir, state);
    await c.adopt("nvh_new");
    expect(c.current).toBe("nvh_new");
    expect(await loadState(dir)).toMatchObject({ credential: "nvh_new", previousCredential: "nvh_secret" });
    // refused (a rotation answer that lost a race): back to the previous one, on disk too
    expect(await c.revert()).toBe(true);
    expect(c.current).toBe("nvh_secret");
    expect(await loadState(dir)).toEqual(state);
    expect(await c.revert()).toBe(false);
    // accepted: the previous one is forgotten
    await c.adopt("nvh_newer");
    await c.confirmed();
    expect(await loadState(dir)).toEqual({ ...state, credential: "nvh_newer" });
    expect(await c.revert()).toBe(false);
  });
});
