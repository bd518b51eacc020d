import { execFile } from "node:child_process";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { NVI_VERSION, agentPackageFile } from "@nvi/contracts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { handleAgentDownload } from "./agent-downloads.ts";

const exec = promisify(execFile);
const INSTALL_SH = path.resolve(import.meta.dirname, "../../../infra/package/install.sh");

describe("agent downloads (/install.sh, /downloads/*.deb)", () => {
  let root: string;
  let dir: string;
  const serve = (p: string, o: { publicUrl?: string; controller?: string } = {}) =>
    handleAgentDownload(p, {
      packageDir: dir,
      publicUrl: o.publicUrl ?? "https://nvi.example.com/",
      controller: o.controller,
    });

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "nvi-downloads-"));
  });
  // each test its own package directory (tests run in random order)
  beforeEach(async () => {
    dir = await mkdtemp(path.join(root, "pkg-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("says how to build the package when the console has none", async () => {
    const r = (await serve("/install.sh"))!;
    expect(r.status).toBe(404);
    expect(await r.text()).toMatch(/build-deb\.sh/);
    expect((await serve(`/downloads/${agentPackageFile()}`))!.status).toBe(404);
  });

  it("serves install.sh with the console's address, release and controller filled in, valid sh", async () => {
    await copyFile(INSTALL_SH, path.join(dir, "install.sh"));
    const r = (await serve("/install.sh"))!;
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/shellscript/);
    const script = await r.text();
    expect(script).toContain("CONSOLE='https://nvi.example.com'");
    expect(script).toContain(`VERSION='${NVI_VERSION}'`);
    expect(script).toContain("CONTROLLER='ssl:nvi.example.com:6653'");
    expect(script).not.toMatch(/@[A-Z_]+@/);
    const file = path.join(dir, "rendered.sh");
    await writeFile(file, script);
    await exec("sh", ["-n", file]);
    // bad input is refused with a reason before anything is touched
    const refused = await exec("sh", [file, "nvj_x@http://evil.example/$(reboot)"]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/not a join string/) as unknown });
    const noBlock = await exec("sh", [file, "nvj_abc@https://nvi.example.com", "--instance-block", "10.0.0.0"]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(noBlock).toMatchObject({ code: 1, stderr: expect.stringMatching(/IPv4 CIDR/) as unknown });
    await expect((await serve("/install.sh", { controller: "ssl:tsc.example.com:7000" }))!.text()).resolves.toContain(
      "CONTROLLER='ssl:tsc.example.com:7000'",
    );
  });

  it("refuses to carry a public URL the script's quotes cannot hold", async () => {
    await copyFile(INSTALL_SH, path.join(dir, "install.sh"));
    expect((await serve("/install.sh", { publicUrl: "https://x.example/'$(id)'" }))!.status).toBe(500);
  });

  it("serves only this release's .deb: other names and paths are 404", async () => {
    await writeFile(path.join(dir, agentPackageFile()), "a package");
    const r = (await serve(`/downloads/${agentPackageFile()}`))!;
    expect(r.status).toBe(200);
    expect(r.headers.get("content-length")).toBe("9");
    expect(await r.text()).toBe("a package");
    for (const p of ["/downloads/nvi-agent_0.0.1_amd64.deb", "/downloads/..%2Finstall.sh", "/downloads/install.sh"])
      expect((await serve(p))!.status, p).toBe(404);
    expect(serve("/downloads/a/b")).toBeNull();
    expect(serve("/api/v1/hosts")).toBeNull();
  });
});
