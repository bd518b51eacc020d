import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { NVI_VERSION } from "@nvi/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const run = async (cmd: string, args: string[]) => (await exec(cmd, args, { maxBuffer: 1 << 24 })).stdout;
const HERE = path.resolve(import.meta.dirname, "..");
const has = (cmd: string) =>
  run("sh", ["-c", `command -v ${cmd}`]).then(
    () => true,
    () => false,
  );

/** dpkg's lock is the machine's: another session's apt-get holds it for a while, so retry. */
async function dpkg(args: string[]): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run("dpkg", args);
    } catch (error) {
      const text = String((error as { stderr?: string }).stderr ?? error);
      if (attempt < 60 && /lock/i.test(text)) await sleep(2_000);
      else throw error;
    }
  }
}

/** dpkg's status word for the package is "installed" (not "not-installed", "config-files", …). */
const installed = () =>
  run("dpkg-query", ["-W", "-f=${Status}", "nvi-agent"]).then(
    (s) => s.trim().split(" ").at(-1) === "installed",
    () => false,
  );

/**
 * The .deb as CI builds it (gzip instead of xz for time): what is in it, and a real `dpkg -i` on
 * this machine. Installing starts nothing (no systemd here; where systemd runs, postinst starts the
 * agent only on upgrade), and the test purges the package afterwards. If the machine already had
 * nvi-agent installed, the install steps are skipped rather than clobber it.
 */
describe("nvi-agent .deb", () => {
  let out: string;
  let deb: string;
  let ours = false;

  beforeAll(async () => {
    out = await mkdtemp(path.join(tmpdir(), "nvi-deb-"));
    const printed = await run("bash", [path.join(HERE, "build-deb.sh"), "--fast", "--out", out]);
    deb = printed.trim().split("\n").at(-1)!;
  });
  afterAll(async () => {
    if (ours && (await installed())) await dpkg(["--purge", "nvi-agent"]);
    await rm(out, { recursive: true, force: true });
  });

  it("is named after the release and declares what the agent runs", async () => {
    expect(path.basename(deb)).toBe(`nvi-agent_${NVI_VERSION}_amd64.deb`);
    const field = (f: string) => run("dpkg-deb", ["--field", deb, f]).then((s) => s.trim());
    expect(await field("Version")).toBe(NVI_VERSION);
    expect(await field("Architecture")).toBe("amd64");
    const depends = (await field("Depends")).split(/,\s*/).map((d) => d.split(" ")[0]);
    for (const d of ["openvswitch-switch", "nftables", "iproute2", "procps", "iputils-ping", "libstdc++6"])
      expect(depends).toContain(d);
    expect(await run("dpkg-deb", ["--info", deb, "conffiles"])).toBe("/etc/nvi/agent.env\n");
  });

  it("holds the bundle, its Node, the unit and a private config file, owned by root", async () => {
    const listing = await run("dpkg-deb", ["--contents", deb]);
    const entry = (p: string) => listing.split("\n").find((l) => l.endsWith(` ${p}`)) ?? `missing ${p}`;
    expect(entry("./")).toMatch(/^drwxr-xr-x root\/root/);
    expect(entry("./usr/lib/nvi-agent/node")).toMatch(/^-rwxr-xr-x root\/root/);
    expect(entry("./usr/lib/nvi-agent/nvi-agent.cjs")).toMatch(/^-rw-r--r-- root\/root/);
    expect(entry("./usr/bin/nvi-agent")).toMatch(/^-rwxr-xr-x root\/root/);
    expect(entry("./lib/systemd/system/nvi-agent.service")).toMatch(/^-rw-r--r-- root\/root/);
    // it will hold the join string: root only
    expect(entry("./etc/nvi/agent.env")).toMatch(/^-rw------- root\/root/);
    expect(listing).not.toMatch(/node_modules|\.ts$/m);
  });

  it("has a hardened unit: read-only system, no new privileges, four capabilities", async () => {
    const unit = await readFile(path.join(HERE, "debian/nvi-agent.service"), "utf8");
    const lines = new Set(unit.split("\n"));
    for (const l of [
      "ProtectSystem=strict",
      "NoNewPrivileges=yes",
      "ProtectHome=yes",
      "PrivateTmp=yes",
      "ProtectKernelModules=yes",
      "EnvironmentFile=/etc/nvi/agent.env",
      "KillMode=process",
      "RestartPreventExitStatus=2 3",
      "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_SYS_ADMIN CAP_NET_BIND_SERVICE",
    ])
      expect(lines, l).toContain(l);
  });

  it("installs with dpkg -i, runs --version from the bundle, passes systemd-analyze verify, purges clean", async () => {
    if (await installed()) {
      console.warn("nvi-agent is already installed on this machine: not touching it");
      return;
    }
    ours = true;
    await dpkg(["-i", deb]);
    expect(await installed()).toBe(true);
    expect((await run("/usr/bin/nvi-agent", ["--version"])).trim()).toBe(NVI_VERSION);
    expect((await stat("/etc/nvi/agent.env")).mode & 0o777).toBe(0o600);
    if (await has("systemd-analyze")) {
      const verify = await exec("systemd-analyze", ["verify", "/lib/systemd/system/nvi-agent.service"]).catch(
        (e: { stderr: string }) => ({ stderr: `failed: ${e.stderr}` }),
      );
      expect(verify.stderr.split("\n").filter((l) => l.includes("nvi-agent"))).toEqual([]);
    }
    await dpkg(["--purge", "nvi-agent"]);
    expect(await installed()).toBe(false);
    for (const p of [
      "/usr/lib/nvi-agent",
      "/usr/bin/nvi-agent",
      "/lib/systemd/system/nvi-agent.service",
      "/etc/nvi/agent.env",
    ])
      expect(existsSync(p), p).toBe(false);
  });
});
