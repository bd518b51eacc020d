import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CredentialRefusedError, RefusedError } from "./control-plane.ts";
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

  it("keeps the console's last word on talking across clouds for the next start (a file without it: not across)", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-agent-"));
    await saveState(dir, state);
    const first = new AgentCredential(dir, (await loadState(dir))!);
    expect(first.crossCloud).toBe(false);
    await first.rememberCrossCloud(true);
    // what a restarted agent reads before its first heartbeat is answered
    expect(new AgentCredential(dir, (await loadState(dir))!).crossCloud).toBe(true);
    await first.rememberCrossCloud(false);
    expect((await loadState(dir))?.crossCloud).toBe(false);
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
  const unauthorized = new CredentialRefusedError("401: the host credential is not valid");

  it("keeps the previous one until one is accepted, and goes back to it when the new one is refused (401)", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-agent-"));
    const c = new AgentCredential(dir, state);
    await c.adopt("nvh_new");
    expect(c.current).toBe("nvh_new");
    expect(await loadState(dir)).toMatchObject({ credential: "nvh_new", previousCredential: "nvh_secret" });
    // refused (a rotation answer that lost a race): back to the previous one, on disk too
    expect(await c.refused(unauthorized)).toBe(true);
    expect(c.current).toBe("nvh_secret");
    expect(await loadState(dir)).toEqual({ ...state, previousCredential: "nvh_new" });
    // the old one refused as well: both are, nothing more to try
    expect(await c.refused(unauthorized)).toBe(false);
    // accepted: the other one is forgotten
    await c.confirmed();
    expect(await loadState(dir)).toEqual(state);
    await c.adopt("nvh_newer");
    await c.confirmed();
    expect(await loadState(dir)).toEqual({ ...state, credential: "nvh_newer" });
    expect(await c.refused(unauthorized)).toBe(false);
  });

  it("is kept when its confirming call is refused for another reason (the console swapped already)", async () => {
    // the console makes a pending credential the host's as it authenticates the call, before the
    // rest of the call can fail (a CSR or a fact answered 400): going back would lock the host out
    dir = await mkdtemp(path.join(tmpdir(), "nvi-agent-"));
    const c = new AgentCredential(dir, state);
    await c.adopt("nvh_new");
    for (const other of [new RefusedError("400: certificate request refused"), new Error("fetch failed")]) {
      expect(await c.refused(other)).toBe(false);
      expect(c.current).toBe("nvh_new");
    }
    expect((await loadState(dir))?.credential).toBe("nvh_new");
  });

  it("goes forward again when the old one is refused after a fall-back (the new one was taken after all)", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-agent-"));
    const c = new AgentCredential(dir, state);
    await c.adopt("nvh_new");
    expect(await c.refused(unauthorized)).toBe(true); // a 401 that crossed the swap
    await c.confirmed(); // … but a later call with the old one was accepted: nothing was lost
    await c.adopt("nvh_newer");
    expect(await c.refused(unauthorized)).toBe(true);
    expect(c.current).toBe("nvh_secret");
    // restarted here: the state file still holds both
    const again = new AgentCredential(dir, (await loadState(dir))!);
    expect(await again.refused(unauthorized)).toBe(true);
    expect(again.current).toBe("nvh_newer");
  });
});
