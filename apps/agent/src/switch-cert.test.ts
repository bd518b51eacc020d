import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createAuthority, signRequest } from "@nvi/pki";
import { afterEach, describe, expect, it } from "vitest";
import { SwitchCertificate } from "./switch-cert.ts";
import type { Runner } from "./runner.ts";

let dir = "";
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Open vSwitch's SSL settings, as `ovs-vsctl` keeps and prints them. */
function fakeOvs(): { run: Runner; calls: string[] } {
  const calls: string[] = [];
  let ssl = "";
  const run: Runner = (cmd, args) => {
    calls.push([cmd, ...args].join(" "));
    if (args[0] === "set-ssl")
      ssl = `Private key: ${args[1]}\nCertificate: ${args[2]}\nCA Certificate: ${args[3]}\nBootstrap: false\n`;
    return Promise.resolve(args[0] === "get-ssl" ? ssl : "");
  };
  return { run, calls };
}

describe("the VEB's switch certificate", () => {
  it("keeps the key on the host (0600), sends only a CSR, installs the signed certificate with one set-ssl, and renews", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-agent-cert-"));
    let now = Date.UTC(2026, 11, 1);
    const ca = await createAuthority({ name: "ca", now: new Date(now), days: 100 });
    const { run, calls } = fakeOvs();
    const sc = new SwitchCertificate(dir, run, () => now);
    /** What the console does with a request (signs it for 30 days), and the agent then installs. */
    const signAndInstall = async (csr: string) => {
      const signed = await signRequest(
        ca,
        csr,
        { kind: "switch", hostId: "host_1", datapathId: "00004e5649000001" },
        { now: new Date(now), days: 30 },
      );
      const files = await sc.install({
        cert: signed.certPem,
        caCert: ca.certPem,
        notAfter: signed.notAfter.toISOString(),
      });
      return { signed, files };
    };
    expect(await sc.due()).toBe(true);
    const csr = await sc.request("h1");
    expect(csr).toContain("BEGIN CERTIFICATE REQUEST");
    expect(csr).not.toContain("PRIVATE KEY");
    expect(await sc.request("h1")).toBe(csr);
    const { files } = await signAndInstall(csr);
    expect(calls.filter((c) => c.startsWith("ovs-vsctl set-ssl"))).toEqual([
      `ovs-vsctl set-ssl ${files.key} ${files.cert} ${files.ca}`,
    ]);
    expect((await stat(sc.dir)).mode & 0o777).toBe(0o700);
    for (const f of [files.key, files.cert, files.ca]) expect((await stat(f)).mode & 0o777).toBe(0o600);
    expect(await readFile(files.key, "utf8")).toContain("BEGIN PRIVATE KEY");
    expect(await sc.due()).toBe(false);
    // an agent restart: Open vSwitch already has these files, nothing is set again
    expect(await new SwitchCertificate(dir, run, () => now).configure()).toBe(true);
    expect(calls.filter((c) => c.startsWith("ovs-vsctl set-ssl"))).toHaveLength(1);

    // 21 days later renewal is due; the new generation replaces the old files
    now += 21 * 86_400_000;
    expect(await sc.due()).toBe(true);
    const csr2 = await sc.request("h1");
    expect(csr2).not.toBe(csr);
    const { signed: signed2, files: files2 } = await signAndInstall(csr2);
    expect(files2.cert).not.toBe(files.cert);
    expect((await readdir(sc.dir)).sort()).toEqual(
      ["ca.crt", path.basename(files2.cert), path.basename(files2.key)].sort(),
    );
    expect(await sc.current()).toEqual(files2);
    await expect(sc.install({ cert: signed2.certPem, caCert: ca.certPem, notAfter: "" })).rejects.toThrow(/no request/);
  });
});
