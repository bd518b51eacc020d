import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { ofctl, vsctl, type HostState } from "@nvi/lab";
import { FakeSwitch } from "@nvi/openflow/test-support/fake-switch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJourney, type Journey } from "./journey.ts";

/**
 * Issue 13, finding 3, on real parts: the agents enroll with a CSR, get a certificate from the
 * console's fabric CA and point their VEB at the worker's TSC over `ssl:`; a switch that is not
 * what its certificate and the console say is refused, the real one keeps its session and flows,
 * and removing a host drops its session within a second.
 */
let j: Journey;
let h1: HostState;
let h2: HostState;

beforeAll(async () => {
  j = await startJourney({ vpcCidr: "10.71.0.0/16", subnetCidrs: { dc1: "10.71.1.0/24", dc2: "10.71.2.0/24" } });
  [h1, h2] = j.lab.hosts as [HostState, HostState];
}, 240_000);
afterAll(async () => {
  await j?.close();
});

/** The Controller row of a host's VEB: target and whether vswitchd holds a session with it. */
async function controllerOf(h: HostState): Promise<{ target: string; connected: boolean }> {
  const out = (await vsctl(h.ovsDir, "--bare", "--columns=target,is_connected", "list", "Controller"))
    .trim()
    .split(/\s+/);
  return { target: (out[0] ?? "").replace(/"/g, ""), connected: out[1] === "true" };
}

/** The key and certificate the host's agent installed (made on the host, signed by the console). */
async function agentFiles(h: HostState): Promise<{ key: string; cert: string; ca: string }> {
  const dir = path.join(h.ovsDir, "agent", "openflow");
  const names = await readdir(dir);
  const crt = names.find((n) => /^switch-\d+\.crt$/.test(n));
  if (!crt) throw new Error(`no certificate in ${dir}: ${names.join(", ")}`);
  const read = (n: string) => readFile(path.join(dir, n), "utf8");
  return { key: await read(crt.replace(/\.crt$/, ".key")), cert: await read(crt), ca: await read("ca.crt") };
}

function impostor(options: ConstructorParameters<typeof FakeSwitch>[1], datapathId: string): FakeSwitch {
  const sw = new FakeSwitch(j.stack.tscPort, { host: j.lab.mgmt.tscIp, ...options });
  sw.datapathId = BigInt(`0x${datapathId}`);
  sw.send({ type: "hello", xid: 1, version: 4, versions: [4] });
  return sw;
}
const refusedWithin = (sw: FakeSwitch, ms: number): Promise<boolean> =>
  Promise.race([sw.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
const flowCount = async (h: HostState): Promise<number> =>
  (await ofctl(h.ovsDir, "dump-flows", h.bridge)).split("\n").filter((l) => l.includes("priority=")).length;

describe("OpenFlow mutual TLS on the lab", () => {
  it("every VEB dials the TSC over ssl: with the certificate its agent got at enrollment, and is connected", async () => {
    for (const h of [h1, h2]) {
      const c = await j.until(`${h.id} connected over ssl`, async () => {
        const now = await controllerOf(h);
        return now.connected && now.target.startsWith("ssl:") ? now : undefined;
      });
      expect(c.target).toBe(`ssl:${j.lab.mgmt.tscIp}:${j.stack.tscPort}`);
      const ssl = await vsctl(h.ovsDir, "get-ssl");
      expect(ssl).toContain(path.join(h.ovsDir, "agent", "openflow"));
      expect((await agentFiles(h)).key).toContain("BEGIN PRIVATE KEY");
    }
  });

  it("refuses a switch with no certificate, in plain TCP, with another host's certificate, or as a second connection; the real switch keeps its session and flows", async () => {
    await j.until("h1 connected", async () => (await controllerOf(h1)).connected);
    const before = await flowCount(h1);
    expect(before).toBeGreaterThan(0);
    const own1 = await agentFiles(h1);
    const own2 = await agentFiles(h2);
    const attempts = {
      noCertificate: impostor({ tls: { key: "", cert: "", ca: own1.ca } }, h1.datapathId),
      plainTcp: impostor({}, h1.datapathId),
      otherHostsCertificate: impostor({ tls: own2 }, h1.datapathId),
      secondConnection: impostor({ tls: own1 }, h1.datapathId),
    };
    for (const [what, sw] of Object.entries(attempts)) {
      expect(await refusedWithin(sw, 5000), what).toBe(true);
      expect(
        sw.received.some((m) => m.type === "flowMod"),
        what,
      ).toBe(false);
      expect(sw.flows, what).toHaveLength(0);
    }
    expect(await controllerOf(h1)).toMatchObject({ connected: true });
    expect(await flowCount(h1)).toBe(before);
    expect(j.stack.workerLog()).toContain("switch refused");
  });

  it("removing a host drops its session within a second, and its certificate no longer gets in", async () => {
    const hostId = j.hostIds.dc2;
    expect(hostId).toBeDefined();
    await j.until("h2 connected", async () => (await controllerOf(h2)).connected);
    const own2 = await agentFiles(h2);
    const t0 = Date.now();
    const r = await j.stack.call("DELETE", `/hosts/${hostId}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const dropped = await j.until(
      "the worker dropped h2's session",
      () => {
        const line = j.stack
          .workerLog()
          .split("\n")
          .find((l) => l.includes("switch sessions dropped") && l.includes(hostId ?? "-"));
        return Promise.resolve(line ? (JSON.parse(line) as { at: string }) : undefined);
      },
      5000,
    );
    expect(new Date(dropped.at).getTime() - t0).toBeLessThan(1000);
    expect(await refusedWithin(impostor({ tls: own2 }, h2.datapathId), 5000)).toBe(true);
    // h1 is untouched
    expect(await controllerOf(h1)).toMatchObject({ connected: true });
  });
});
