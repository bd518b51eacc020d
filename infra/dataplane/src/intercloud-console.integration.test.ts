/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- REST answers are JSON, checked by the assertions */
import { execFile, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { gatewayLinkUp, type CloudLinkDto, type GatewayLink } from "@nvi/contracts";
import { tunnelReports } from "@nvi/core";
import { interconnect, labDown, labUp, run, startAgent, tcpProbe, type LabState } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wireguardBytes } from "./cross-cloud-checks.ts";
import { untilOrExplain } from "./journey.ts";
import { txPackets } from "./probes.ts";
import { agentCommand, buildAgentBundle } from "./local-hosts.ts";
import { releaseLabIdentities } from "./release-identities.ts";
import { ROOT, startStack, type Stack } from "./stack.ts";

/**
 * Issue 15 through the product, nothing injected by the lab: two clouds joined only through the
 * internet (lab topology "internet"), every host's real agent enrolled in a `gateway` cloud, the
 * gateways declared over REST (`POST /hosts/{id}/gateway`), the real worker feeding them to its TSC
 * from Postgres, and each gateway's agent setting its WireGuard tunnel up from its heartbeat answer.
 * Instances launched through the API on the clouds' other hosts (netns, and a QEMU VM) then reach each other.
 */
let lab: LabState;
let stack: Stack | undefined;
const hostIds: Record<string, string> = {};
const clouds: Record<string, string> = {};
/** the busybox guest of infra/images/build-guest.sh: it echoes on TCP 7 and serves HTTP */
const GUEST = "nvi-busybox";
const imageDir = process.env.NVI_IMAGE_DIR ?? "/var/lib/nvi/images";

const until = <T>(what: string, fn: () => Promise<T | undefined | false>, ms = 90_000) =>
  untilOrExplain(lab, stack, what, fn, ms, 500);
const call = (method: string, p: string, body?: unknown) => stack!.call(method, p, body);
const inHost = (id: string, ...cmd: string[]) =>
  run("ip", ["netns", "exec", lab.hosts.find((h) => h.id === id)!.ns, ...cmd]);

beforeAll(async () => {
  await buildAgentBundle();
  await promisify(execFile)(path.join(ROOT, "infra/images/build-guest.sh"), [GUEST], {
    timeout: 300_000,
    env: { ...process.env, NVI_IMAGE_DIR: imageDir },
  });
  lab = await labUp({ datacenters: 2, hostsPerDc: 2, topology: "internet" });
  try {
    stack = await startStack(lab.mgmt.tscIp);
    await releaseLabIdentities(stack.deps.db, lab.hosts);
    await stack.startWorker();
    for (const dc of ["dc1", "dc2"]) {
      const c = await call("POST", "/clouds", {
        name: `net-${dc}`,
        kind: "baremetal",
        region: "lab",
        datacenter: dc,
        interconnect: "gateway",
      });
      expect(c.status, JSON.stringify(c.body)).toBe(200);
      clouds[dc] = c.body.id;
    }
    for (const h of lab.hosts) {
      const jt = await call("POST", `/clouds/${clouds[`dc${h.dc}`]}/join-tokens`, {
        reusable: false,
        expiresInHours: 1,
      });
      await startAgent(
        lab.name,
        h.id,
        agentCommand({
          joinString: jt.body.joinString,
          controlUrl: stack.apiUrl,
          controller: `ssl:${lab.mgmt.tscIp}:${stack.tscPort}`,
          stateDir: `${h.ovsDir}/agent`,
          hostname: `${lab.name}-${h.id}`,
          env: { NVI_IMAGE_DIR: imageDir },
        }),
      );
    }
    await until("every host online with an approved identity and WireGuard key", async () => {
      const hosts = (await call("GET", "/hosts")).body as any[];
      for (const h of hosts)
        if (h.status === "online" && h.identity.instanceBlock && h.identity.wireguardPublicKey)
          hostIds[String(h.name).slice(lab.name.length + 1)] = h.id;
      return Object.keys(hostIds).length === lab.hosts.length;
    });
  } catch (e) {
    await stack?.close().catch(() => undefined);
    await labDown(lab.name, { force: true });
    throw e;
  }
}, 240_000);

afterAll(async () => {
  if (stack) {
    const db = stack.deps.db;
    const ids = (await db.instance.findMany({ where: { orgId: stack.orgId }, select: { id: true } })).map((i) => i.id);
    await db.ipAllocation.deleteMany({ where: { holderId: { in: ids } } });
    await db.instance.deleteMany({ where: { orgId: stack.orgId } });
    await db.host.deleteMany({ where: { orgId: stack.orgId } });
    await db.operation.deleteMany({ where: { orgId: stack.orgId } });
    await stack.close();
  }
  await labDown(lab.name, { force: true });
});

describe("two clouds joined through gateways set in the console", () => {
  let a: any;
  let b: any;

  it("a VPC across the clouds is refused until both have a gateway; the gateways' agents bring their tunnels up", async () => {
    const vpc = await call("POST", "/vpcs", { name: "across", cidr: "10.50.0.0/16" });
    expect(vpc.status, JSON.stringify(vpc.body)).toBe(200);
    const subnet = (dc: string, cidr: string) =>
      call("POST", `/vpcs/${vpc.body.id}/subnets`, { name: `in-${dc}`, cidr, cloudId: clouds[dc] });
    const first = await subnet("dc1", "10.50.1.0/24");
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect((await subnet("dc2", "10.50.2.0/24")).status).toBe(409);
    for (const h of lab.hosts.filter((x) => x.gateway)) {
      const set = await call("POST", `/hosts/${hostIds[h.id]}/gateway`, { publicAddress: h.gateway!.publicIp });
      expect(set.status, JSON.stringify(set.body)).toBe(200);
    }
    const second = await subnet("dc2", "10.50.2.0/24");
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    // each gateway's agent peers with the other: the key the console approved, its public address
    for (const [g, peer] of [
      ["h1", "h3"],
      ["h3", "h1"],
    ] as const) {
      const wgIf = lab.hosts.find((h) => h.id === g)!.gateway!.wgIf;
      const peerHost = lab.hosts.find((h) => h.id === peer)!;
      await until(`${g} peers with ${peer}`, async () =>
        (await inHost(g, "wg", "show", wgIf, "endpoints").catch(() => "")).includes(
          `${peerHost.gateway!.publicIp}:51820`,
        ),
      );
    }
    const launch = async (name: string, subnetId: string, host: string) => {
      const r = await call("POST", "/instances", { name, subnetId, runtime: "netns", hostId: hostIds[host] });
      // a launch is answered with its operation: 202 Accepted
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      return until(`${name} running`, async () => {
        const i = (await call("GET", `/instances/${r.body.instance.id}`)).body;
        return i?.status === "running" ? i : undefined;
      });
    };
    a = await launch("a", first.body.id, "h2");
    b = await launch("b", second.body.id, "h4");
  });

  it("instances on the clouds' other hosts reach each other: ping, a full-size DF ping and TCP", async () => {
    const ns = (i: any) => `${lab.name}-n-${i.id}`;
    const ping = (i: any, to: string, ...extra: string[]) =>
      run("ip", ["netns", "exec", ns(i), "ping", "-n", "-c", "2", "-W", "2", ...extra, to]).then(
        () => true,
        (e: Error) => e.message,
      );
    await until("a reaches b", async () => (await ping(a, b.address)) === true, 30_000);
    expect(await ping(b, a.address)).toBe(true);
    expect(await ping(a, b.address, "-M", "do", "-s", "1472")).toBe(true);
    // data both ways through both gateways: checksums survive (the agent turned TX offload off)
    const echo = spawn(
      "ip",
      ["netns", "exec", ns(b), process.execPath, "-e", 'require("net").createServer((s) => s.pipe(s)).listen(7)'],
      { stdio: "ignore" },
    );
    try {
      const probe = await until(
        "TCP echo across clouds",
        async () => {
          const r = await tcpProbe(ns(a), b.address, 7);
          return r.ok ? r : undefined;
        },
        20_000,
      );
      expect(probe.ok).toBe(true);
    } finally {
      echo.kill();
    }
    const offload = await run("ip", ["netns", "exec", ns(a), "ethtool", "-k", "eth0"]);
    expect(offload).toMatch(/tx-checksumming: off/);
  });

  it("a VM in one cloud, reached from an instance in the other: TCP echo and HTTP answered (the guest computes its own checksums)", async () => {
    const r = await call("POST", "/instances", {
      name: "vm-across",
      subnetId: a.subnetId,
      runtime: "qemu",
      image: GUEST,
      cpus: 1,
      memoryMiB: 128,
      hostId: hostIds.h2,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    try {
      const vm = await until(
        "the VM running",
        async () => {
          const i = (await call("GET", `/instances/${r.body.instance.id}`)).body;
          return i?.status === "running" ? i : undefined;
        },
        150_000,
      );
      const fromB = (script: string) =>
        run("ip", ["netns", "exec", `${lab.name}-n-${b.id}`, "sh", "-c", script]).catch((e: Error) => e.message);
      await until(
        "b's TCP echo through the VM across clouds",
        async () => (await fromB(`echo across-clouds | busybox nc -w 3 ${vm.address} 7`)).includes("across-clouds"),
        30_000,
      );
      // on the old agent the echo came back, but this answer never arrived
      const http = await fromB(`printf 'GET /name HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 ${vm.address} 80`);
      expect(http).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(http.trim().split("\n").at(-1)).toBe("vm-across");
      // QEMU offers the guest no checksum offload on a host whose instances talk across clouds
      const host = lab.hosts.find((h) => h.id === "h2")!;
      const pid = (await readFile(`${host.ovsDir}/agent/vms/${vm.id}/qemu.pid`, "utf8")).trim();
      expect((await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").join(" ")).toMatch(
        /virtio-net-pci,[^ ]*csum=off/,
      );
    } finally {
      // gone before the next tests, passed or not: a TCG guest takes a CPU, and the gateways'
      // measurements time out beside it
      const gone = await call("DELETE", `/instances/${r.body.instance.id}`);
      expect(gone.status, JSON.stringify(gone.body)).toBe(202);
      await until("the VM terminated", async () => {
        const op = (await call("GET", `/operations/${gone.body.operationId}`)).body;
        return op?.status === "succeeded" ? op : undefined;
      });
    }
  }, 240_000);

  it("each gateway reports its link to the other in its facts: up, with its last handshake", async () => {
    for (const [g, peer] of [
      ["h1", "h3"],
      ["h3", "h1"],
    ] as const) {
      const peerAddress = lab.hosts.find((h) => h.id === peer)!.gateway!.publicIp;
      const link = await until(
        `${g} reports its link to ${peer}`,
        async () => {
          const host = ((await call("GET", "/hosts")).body as any[]).find((x) => x.id === hostIds[g]);
          const links = (host?.facts.gatewayLinks ?? []) as GatewayLink[];
          const l = links.find((x) => x.peerAddress === peerAddress);
          return l?.lastHandshakeAt && l.rxBytes > 0 ? l : undefined;
        },
        45_000,
      );
      expect(gatewayLinkUp(link, new Date())).toBe(true);
    }
    // each agent's close watch (link-watch.ts) judged its link up, and that is what the worker reads
    // for its TSC: one verdict per direction, bound to the two gateways' datapath ids
    const dpids = ["h1", "h3"].map((id) => lab.hosts.find((h) => h.id === id)!.datapathId).sort();
    const verdicts = await until(
      "both gateways' link verdicts, as the worker reads them",
      async () => {
        const r = (await tunnelReports(stack!.deps, new Date(Date.now() - 60_000))).filter((x) =>
          dpids.includes(x.from),
        );
        return r.length === 2 && r.every((x) => x.up) ? r : undefined;
      },
      30_000,
    );
    expect(verdicts.map((r) => [r.from, r.peer].sort().join("|"))).toEqual([dpids.join("|"), dpids.join("|")]);
    // hosts that are no gateways report no links
    const h2 = ((await call("GET", "/hosts")).body as any[]).find((x) => x.id === hostIds.h2);
    expect(h2.facts.gatewayLinks).toBeNull();
  });
  it("the console sums the link up from the agents' measurements: encrypted, a plausible round trip, path MTU 1500", async () => {
    const pair = [clouds.dc1, clouds.dc2].sort().join();
    const link = await until(
      "the link between the clouds measured",
      async () => {
        const links = (await call("GET", "/cloud-links")).body as CloudLinkDto[];
        const l = links.find((x) => [x.a.cloudId, x.b.cloudId].sort().join() === pair);
        // the first round may have waited for a handshake or a peer's tunnel address: a later one is the path's
        return l?.state === "encrypted" && l.rttMs !== null && l.rttMs < 50 && l.pathMtu !== null ? l : undefined;
      },
      60_000,
    );
    console.info("cloud link measured", { rttMs: link.rttMs, pathMtu: link.pathMtu, tunnelMtu: link.tunnelMtu });
    // veth pairs and two routers inside one machine: well under 50 ms, even on a loaded runner
    expect(link.rttMs).toBeGreaterThan(0);
    expect(link.rttMs).toBeLessThan(50);
    // a full-size 1500-byte inner packet crosses with DF set (the outer datagram is fragmented)
    expect(link.pathMtu).toBe(1500);
    expect(link.tunnelMtu).toBe(1500);
    expect(link.reason).toBeNull();
    for (const g of ["h1", "h3"]) {
      // each end's own report (its agent measures on its own timer, reported with a later heartbeat)
      const own = await until(`${g} reports its measured link`, async () => {
        const host = ((await call("GET", "/hosts")).body as any[]).find((x) => x.id === hostIds[g]);
        const [l] = (host?.facts.gatewayLinks ?? []) as GatewayLink[];
        // a round whose DF pings all timed out on a loaded machine reports no path MTU: wait for one that measured
        return l?.measuredAt && l.pathMtu !== null ? l : undefined;
      });
      expect(own, g).toMatchObject({ pathMtu: 1500, tunnelMtu: 1500 });
      expect(own.rttMs, g).toBeGreaterThan(0);
    }
    // a gateway's tunnel address answers pings of its peers and nothing else: TCP from the peer
    // gateway's own tunnel address (the only source WireGuard lets through) is dropped, not refused
    const blockOf = async (g: string) =>
      String(((await call("GET", "/hosts")).body as any[]).find((x) => x.id === hostIds[g]).identity.instanceBlock);
    const lastOf = (block: string) => {
      const [base = "", len = "32"] = block.split("/");
      const v = base.split(".").reduce((n, o) => n * 256 + Number(o), 0) + 2 ** (32 - Number(len)) - 1;
      return [24, 16, 8, 0].map((sh) => Math.floor(v / 2 ** sh) % 256).join(".");
    };
    const [h1Tunnel, h3Tunnel] = [lastOf(await blockOf("h1")), lastOf(await blockOf("h3"))];
    const script = `const s=require("net").connect({host:"${h1Tunnel}",port:22,localAddress:"${h3Tunnel}",timeout:1500});s.on("connect",()=>{console.log("open");process.exit()});s.on("timeout",()=>{console.log("dropped");process.exit()});s.on("error",(e)=>{console.log(e.code);process.exit()})`;
    expect((await inHost("h3", process.execPath, "-e", script)).trim()).toBe("dropped");
    expect(await inHost("h3", "ping", "-n", "-c", "1", "-W", "2", "-I", h3Tunnel, h1Tunnel)).toMatch(/1 received/);
  });

  it("a gateway's wireguard-go killed (-9): its agent hears it exit, starts it again and the link comes back", async () => {
    const h3 = lab.hosts.find((h) => h.id === "h3")!;
    /** the PID of the wireguard-go serving h3's interface (its agent's child, in the foreground) */
    const pidOf = async (): Promise<number | undefined> => {
      for (const entry of await readdir("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        const argv = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
        if (argv[0]?.endsWith("wireguard-go") && argv.includes(h3.gateway!.wgIf)) return Number(entry);
      }
      return undefined;
    };
    const before = await until("h3's wireguard-go", pidOf, 10_000);
    process.kill(before, "SIGKILL");
    const log = `${h3.ovsDir}/agent.log`;
    // the agent's watch said so (not its next heartbeat finding the interface gone)
    await until(
      "h3's agent restarting wireguard-go",
      async () => (await readFile(log, "utf8")).includes(`"pid":${before}`),
      30_000,
    );
    const after = await until("a new wireguard-go on h3", async () => {
      const pid = await pidOf();
      return pid !== undefined && pid !== before ? pid : undefined;
    });
    expect((await readFile(`/proc/${after}/cmdline`, "utf8")).split("\0")).toContain("-f");
    const ping = () =>
      run("ip", ["netns", "exec", `${lab.name}-n-${a.id}`, "ping", "-n", "-c", "1", "-W", "2", b.address]).then(
        () => true,
        () => undefined,
      );
    await until("a reaches b again through the restarted tunnel", ping, 60_000);
  });

  it("a trusted direct link declared over REST, over an interconnect between the edges: a ↔ b cross it whole, not through WireGuard, and back to the tunnel", async () => {
    const ix = await interconnect(lab, [1, 2]);
    try {
      const crossed = () => txPackets(ix.ends[0]!.ns, ix.ends[0]!.ifname);
      const h1 = lab.hosts.find((h) => h.id === "h1")!; // dc1's gateway
      const wg = () => wireguardBytes(h1.ns, h1.gateway!.wgIf);
      const ns = `${lab.name}-n-${a.id}`;
      const ping = (...o: string[]) =>
        run("ip", ["netns", "exec", ns, "ping", "-n", "-c", "2", "-W", "2", ...o, b.address]).then(
          () => true,
          () => false,
        );
      const set = await call("PUT", `/clouds/${clouds.dc1}/links/${clouds.dc2}`, { mode: "direct" });
      expect([set.status, set.body]).toMatchObject([200, { mode: "direct", state: "direct" }]);
      // the worker hands it to the TSC at its next refresh: then a's pings cross the interconnect
      const over = async (want: boolean) => {
        const before = await crossed();
        return (await ping()) && (await crossed()) - before >= 2 === want;
      };
      await until("a reaches b over the interconnect", () => over(true), 30_000);
      const [wgBefore, ixBefore] = [await wg(), await crossed()];
      expect(await ping("-M", "do", "-s", "1472")).toBe(true);
      expect(await ping("-s", "1400", "-i", "0.05", "-c", "50")).toBe(true);
      expect((await crossed()) - ixBefore).toBeGreaterThanOrEqual(52);
      // 52 echoes of 1400+ bytes each way would add over 140 kB to the tunnel; it carries only the
      // agents' own link pings and path-MTU probes (about 10 kB in those seconds)
      expect((await wg()) - wgBefore).toBeLessThan(40_000);
      const back = await call("PUT", `/clouds/${clouds.dc2}/links/${clouds.dc1}`, { mode: "encrypted" });
      expect(back.status, JSON.stringify(back.body)).toBe(200);
      await until("a reaches b through the tunnel again", () => over(false), 30_000);
    } finally {
      await ix.remove();
    }
  });
});
