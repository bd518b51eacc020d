import { execFile } from "node:child_process";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { NVI_VERSION } from "@nvi/contracts";
import { createAuthority, signRequest } from "@nvi/pki";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { keyAndCsrInChild } from "./csr-child.ts";

const run = promisify(execFile);
const AGENT = path.resolve(import.meta.dirname, "..");

/**
 * What the .deb ships: dist/nvi-agent.cjs, run by plain Node from a directory with no
 * node_modules anywhere above it (a copy in a fresh temp dir), so nothing of the workspace, tsx or
 * the dev dependencies can be loaded behind our back.
 */
describe("the bundled agent", () => {
  let dir: string;
  let bundle: string;
  const node = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [bundle, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } });

  beforeAll(async () => {
    await run(process.execPath, ["build.mjs"], { cwd: AGENT });
    dir = await mkdtemp(path.join(tmpdir(), "nvi-bundle-"));
    bundle = path.join(dir, "nvi-agent.cjs");
    await copyFile(path.join(AGENT, "dist/nvi-agent.cjs"), bundle);
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("makes the switch key and CSR in a child of itself, which the console can sign (issue 16: the X.509 library stays out of the agent)", async () => {
    const made = await keyAndCsrInChild("h1", { execArgv: ["--optimize-for-size"], entry: bundle });
    expect(made.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const ca = await createAuthority({ name: "ca", now: new Date(), days: 10 });
    const switchSubject = { kind: "switch" as const, hostId: "host_1", datapathId: "00004e5649000001" };
    const signed = await signRequest(ca, made.csrPem, switchSubject, { now: new Date(), days: 5 });
    expect(signed.certPem).toContain("BEGIN CERTIFICATE");
    await expect(keyAndCsrInChild("h1", { execArgv: [], entry: path.join(dir, "missing.cjs") })).rejects.toThrow();
  });

  it("prints its version and exits", async () => {
    const { stdout } = await node(["--version"]);
    expect(stdout.trim()).toBe(NVI_VERSION);
  });

  it("refuses a bad configuration with the reason, not a stack trace, exit 2", async () => {
    const failed = await node([], { NVI_BRIDGE: "Not A Bridge!" }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/NVI_BRIDGE: an interface name/);
    expect(failed?.stderr).not.toMatch(/\n\s+at /);
  });

  it("refuses to start unenrolled without a join string (exit 3), having loaded every module", async () => {
    const state = path.join(dir, "state");
    const failed = await node([], { NVI_STATE_DIR: state }).then(
      () => null,
      (e: { code: number; stdout: string }) => e,
    );
    expect(failed?.code).toBe(3);
    expect(failed?.stdout).toMatch(/not enrolled yet and no NVI_JOIN given/);
  });
});
