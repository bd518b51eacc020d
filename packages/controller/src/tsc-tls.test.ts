import { FakeSwitch } from "@nvi/openflow/test-support";
import { createAuthority, issueWithKey, type Authority } from "@nvi/pki";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { compileSwitchFlows, type DesiredSwitchState } from "./test-support/compiler.ts";
import { startTsc, type Admission, type SwitchClaim, type Tsc } from "./tsc.ts";

/**
 * The TSC over mutual TLS on loopback (real TLS sockets, certificates from the fabric CA code):
 * the attacks of issue 13 (finding 3) — a switch with no certificate, another host's certificate,
 * another datapath id, a second connection for a connected datapath — are refused, and the real
 * switch keeps its session and its flows.
 */
const A = { port: 1, mac: "02:00:00:00:00:01", ipv4: "10.0.0.1" };
const desired: DesiredSwitchState = { policyVersion: 1, endpoints: [A], allow: [] };
const NOTHING: DesiredSwitchState = { policyVersion: 0, endpoints: [], allow: [] };
const DPID_1 = 0x4e5649000001n;
const DPID_2 = 0x4e5649000002n;
const hex = (d: bigint) => d.toString(16).padStart(16, "0");
const now = new Date();

let ca: Authority;
let rogueCa: Authority;
type Creds = { key: string; cert: string; ca: string };
let server: Creds;
let host1: Creds;
let host2: Creds;
let rogue: Creds;

async function switchCreds(authority: Authority, hostId: string, dpid: bigint): Promise<Creds> {
  const c = await issueWithKey(authority, { kind: "switch", hostId, datapathId: hex(dpid) }, { now, days: 1 });
  return { key: c.keyPem, cert: c.certPem, ca: ca.certPem };
}

beforeAll(async () => {
  ca = await createAuthority({ name: "test fabric CA", now, days: 2 });
  rogueCa = await createAuthority({ name: "rogue CA", now, days: 2 });
  const s = await issueWithKey(ca, { kind: "server", name: "nvi-tsc", ipAddresses: ["127.0.0.1"] }, { now, days: 1 });
  server = { key: s.keyPem, cert: s.certPem, ca: ca.certPem };
  host1 = await switchCreds(ca, "host_1", DPID_1);
  host2 = await switchCreds(ca, "host_2", DPID_2);
  rogue = await switchCreds(rogueCa, "host_1", DPID_1);
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Admits what the console knows: host_1 ↔ DPID_1, host_2 ↔ DPID_2 (removed hosts are taken out of `known`). */
const known = new Map<string, string>();
const admit = (claim: SwitchClaim): Promise<Admission> => {
  const hostId = claim.certificate?.hostId ?? "";
  return Promise.resolve(
    known.get(hostId) === claim.datapathId
      ? { admitted: true, hostId }
      : { admitted: false, reason: "not a host the console knows with this datapath id" },
  );
};

async function tsc(): Promise<Tsc> {
  known.clear();
  known.set("host_1", hex(DPID_1));
  known.set("host_2", hex(DPID_2));
  const t = await startTsc({
    port: 0,
    tls: server,
    admit,
    desiredFlows: (d) => compileSwitchFlows(d === DPID_1 || d === DPID_2 ? desired : NOTHING, Date.now),
  });
  cleanups.push(() => t.close());
  return t;
}

function dial(t: Tsc, creds: Creds | null, dpid: bigint): FakeSwitch {
  const sw = creds ? new FakeSwitch(t.address.port, { tls: creds }) : new FakeSwitch(t.address.port);
  sw.datapathId = dpid;
  cleanups.push(() => sw.end());
  sw.send({ type: "hello", xid: 1, version: 4, versions: [4] });
  return sw;
}

/** Closed within the time, or not. */
const closedWithin = (sw: FakeSwitch, ms: number): Promise<boolean> =>
  Promise.race([sw.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe("the TSC over mutual TLS", () => {
  it("serves a switch whose certificate names its datapath id", async () => {
    const t = await tsc();
    const sw = dial(t, host1, DPID_1);
    await t.waitForSwitch(DPID_1, 5000);
    expect(sw.flows.length).toBeGreaterThan(0);
  });

  it("refuses a switch with no certificate, one from another CA, and plain TCP; the real switch keeps its session and flows", async () => {
    const t = await tsc();
    const real = dial(t, host1, DPID_1);
    await t.waitForSwitch(DPID_1, 5000);
    const flows = real.flows.length;
    const noCert = dial(t, { key: "", cert: "", ca: ca.certPem }, DPID_1);
    const otherCa = dial(t, rogue, DPID_1);
    const plain = dial(t, null, DPID_1);
    expect(await closedWithin(noCert, 3000)).toBe(true);
    expect(await closedWithin(otherCa, 3000)).toBe(true);
    expect(await closedWithin(plain, 3000)).toBe(true);
    for (const sw of [noCert, otherCa, plain]) expect(sw.flows).toHaveLength(0);
    expect(t.switches.get(DPID_1)).toBeDefined();
    expect(await closedWithin(real, 200)).toBe(false);
    expect(real.flows).toHaveLength(flows);
  });

  it("refuses another host's certificate claiming this datapath id, and gives it nothing", async () => {
    const t = await tsc();
    const real = dial(t, host1, DPID_1);
    await t.waitForSwitch(DPID_1, 5000);
    const impostor = dial(t, host2, DPID_1);
    expect(await closedWithin(impostor, 3000)).toBe(true);
    expect(impostor.flows).toHaveLength(0);
    expect(impostor.received.some((m) => m.type === "flowMod")).toBe(false);
    expect(await closedWithin(real, 200)).toBe(false);
    expect(t.switches.get(DPID_1)?.peer).toBeDefined();
  });

  it("refuses a second connection for a connected datapath id instead of evicting the first", async () => {
    const t = await tsc();
    const first = dial(t, host1, DPID_1);
    const session = await t.waitForSwitch(DPID_1, 5000);
    const second = dial(t, host1, DPID_1);
    expect(await closedWithin(second, 3000)).toBe(true);
    expect(await closedWithin(first, 200)).toBe(false);
    expect(t.switches.get(DPID_1)).toBe(session);
  });

  it("refuses a certificate the console does not admit (a removed host) and drops a host's session at once", async () => {
    const t = await tsc();
    known.delete("host_2");
    const removed = dial(t, host2, DPID_2);
    expect(await closedWithin(removed, 3000)).toBe(true);
    expect(removed.flows).toHaveLength(0);

    const real = dial(t, host1, DPID_1);
    await t.waitForSwitch(DPID_1, 5000);
    const t0 = Date.now();
    expect(t.drop({ hostId: "host_1" }, "host removed")).toBe(1);
    expect(await closedWithin(real, 1000)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(t.switches.has(DPID_1)).toBe(false);
  });

  it("revalidate() closes a served switch the console no longer admits", async () => {
    const t = await tsc();
    const real = dial(t, host1, DPID_1);
    await t.waitForSwitch(DPID_1, 5000);
    await t.revalidate();
    expect(await closedWithin(real, 100)).toBe(false);
    known.delete("host_1");
    await t.revalidate();
    expect(await closedWithin(real, 1000)).toBe(true);
  });

  it("will not listen in plain TCP unless asked by name, and then says so loudly", async () => {
    await expect(startTsc({ port: 0 })).rejects.toThrow(/mutual TLS/);
    const warnings: string[] = [];
    const t = await startTsc({
      port: 0,
      insecureTcp: true,
      logger: { info: () => undefined, warn: (m) => warnings.push(m) },
    });
    cleanups.push(() => t.close());
    expect(warnings.some((w) => /PLAIN TCP.*NOT authenticated/.test(w))).toBe(true);
  });
});
