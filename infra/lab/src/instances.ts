import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { inNs, ipIn, LabError, run, sleep, tryRun } from "./exec.ts";
import { ofportOf, vsctl, withRaisedRmem } from "./ovs.ts";
import { defaultInstanceMac, instanceNameProblem, instanceNs, macProblem, parseInstanceAddress } from "./plan.ts";
import { guardLabPort, unguardLabPort } from "./port-guard.ts";
import { spawnInNs, stopPids } from "./processes.ts";
import { type InstanceState, type LabState, readState, withLabLock, writeState } from "./state.ts";

/** The server every instance runs: TCP echo, UDP echo and a one-line HTTP answer. */
export const INSTANCE_PORTS = { tcp: 7, udp: 7, http: 80 } as const;

const SERVER_JS = `
const net = require("net"), dgram = require("dgram"), http = require("http");
const [name, tcp, udp, web] = process.argv.slice(1);
let up = 0; const ready = () => { if (++up === 3) console.log("ready"); };
net.createServer((s) => { s.on("error", () => s.destroy()); s.pipe(s); }).listen(Number(tcp), "0.0.0.0", ready);
const u = dgram.createSocket("udp4"); u.on("message", (m, r) => u.send(m, r.port, r.address)); u.bind(Number(udp), "0.0.0.0", ready);
http.createServer((q, r) => r.end("instance " + name + "\\n")).listen(Number(web), "0.0.0.0", ready);
process.on("SIGTERM", () => process.exit(0));
`;

export interface InstanceOptions {
  host: string;
  name: string;
  /** e.g. 10.1.0.5/24; the default route goes via the subnet's first address */
  ip: string;
  mac?: string | undefined;
  /** what the controller binds the port to (external_ids:nvi-instance-id); defaults to the name */
  id?: string | undefined;
  /** start the echo/HTTP server (default true; a node process of ≈40 MB, so skip it for bulk instances) */
  server?: boolean | undefined;
}

async function mustBeUp(lab: string): Promise<LabState> {
  const state = await readState(lab);
  if (!state) throw new LabError(`lab ${lab} is not up (no state file); run "lab up" first`);
  if (state.phase !== "up")
    throw new LabError(`lab ${lab} is not fully up (phase ${state.phase}); run "lab down --name ${lab}"`);
  return state;
}

async function waitForLine(file: string, line: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(file, "utf8").catch(() => "");
    if (text.split("\n").includes(line)) return;
    if (Date.now() > deadline)
      throw new LabError(
        `instance server did not start: ${text.trim().split("\n").slice(-3).join(" | ") || "no output"} (${file})`,
      );
    await sleep(20);
  }
}

/** Creates an instance: a netns with eth0 (MTU 1500) plugged into the host's VEB, and its server. */
export async function addInstance(lab: string, options: InstanceOptions): Promise<InstanceState> {
  const nameProblem = instanceNameProblem(options.name);
  if (nameProblem) throw new LabError(nameProblem);
  const address = parseInstanceAddress(options.ip);
  const mac = (options.mac ?? defaultInstanceMac(lab, options.name)).toLowerCase();
  const badMac = macProblem(mac);
  if (badMac) throw new LabError(badMac);
  return withLabLock(lab, async () => {
    const state = await mustBeUp(lab);
    const host = state.hosts.find((h) => h.id === options.host);
    if (!host)
      throw new LabError(`lab ${lab} has no host ${options.host} (hosts: ${state.hosts.map((h) => h.id).join(" ")})`);
    const same = state.instances.find((i) => i.name === options.name);
    if (same)
      throw new LabError(
        `instance ${options.name} already exists on ${same.host} (${same.ip}/${same.prefixLen}, ${same.mac}); remove it first`,
      );
    const macUser = state.instances.find((i) => i.mac === mac);
    if (macUser) throw new LabError(`MAC ${mac} is already used by instance ${macUser.name}`);
    const ns = instanceNs(lab, options.name);
    const port = options.name;
    const dir = path.join(state.runDir, "instances");
    await mkdir(dir, { recursive: true });
    try {
      await run("ip", ["netns", "add", ns]);
      await ipIn(ns, "link", "set", "lo", "up");
      await inNs(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
      await ipIn(host.ns, "link", "add", port, "mtu", "1500", "type", "veth", "peer", "name", "eth0", "netns", ns);
      await ipIn(ns, "link", "set", "eth0", "address", mac, "mtu", "1500", "up");
      // across clouds a gateway's stack must see finished L4 checksums: OVS 3.1's userspace datapath
      // rewrites a partial (offloaded) checksum with the wrong sign, which only cancels out while no
      // stack completes it on the way (packages/controller README, "Across clouds")
      if (state.internet) await inNs(ns, "ethtool", "-K", "eth0", "tx", "off");
      await ipIn(ns, "addr", "add", address.cidr, "dev", "eth0");
      await ipIn(ns, "route", "add", "default", "via", address.gateway, "dev", "eth0");
      // the host's kernel must never see the instance's frames, only Open vSwitch (port-guard.ts)
      await guardLabPort(host.ns, port);
      await ipIn(host.ns, "link", "set", port, "up");
      const ids = [
        `iface-id=${options.id ?? options.name}`,
        `attached-mac=${mac}`,
        `nvi-instance-id=${options.id ?? options.name}`,
        `nvi-mac=${mac}`,
        `nvi-ip=${address.ip}`,
        `nvi-prefix-len=${address.prefixLen}`,
        `nvi-lab=${lab}`,
      ];
      await withRaisedRmem(() =>
        vsctl(
          host.ovsDir,
          "add-port",
          host.bridge,
          port,
          "--",
          "set",
          "interface",
          port,
          ...ids.map((kv) => `external_ids:${kv}`),
        ),
      );
      const ofport = await ofportOf(host.ovsDir, port);
      let serverPid: number | undefined;
      if (options.server ?? true) {
        const log = path.join(dir, `${options.name}.log`);
        serverPid = await spawnInNs(
          ns,
          [
            process.execPath,
            "-e",
            SERVER_JS,
            options.name,
            String(INSTANCE_PORTS.tcp),
            String(INSTANCE_PORTS.udp),
            String(INSTANCE_PORTS.http),
          ],
          log,
        );
        await waitForLine(log, "ready", 10_000);
      }
      const instance: InstanceState = {
        name: options.name,
        host: host.id,
        ns,
        ip: address.ip,
        prefixLen: address.prefixLen,
        gateway: address.gateway,
        mac,
        port,
        ofport,
        serverPid,
        ports: { ...INSTANCE_PORTS },
      };
      state.instances.push(instance);
      await writeState(state);
      return instance;
    } catch (e) {
      await removePlumbing(ns, host.ns, host.ovsDir, host.bridge, port);
      throw e;
    }
  });
}

async function removePlumbing(ns: string, hostNs: string, ovsDir: string, bridge: string, port: string): Promise<void> {
  const { ok, out } = await tryRun("ip", ["netns", "pids", ns]);
  if (ok) await stopPids(out.split(/\s+/).filter(Boolean).map(Number), ns);
  await tryRun("ovs-vsctl", ["--timeout=10", `--db=unix:${ovsDir}/db.sock`, "--if-exists", "del-port", bridge, port]);
  await tryRun("ip", ["netns", "del", ns]);
  await unguardLabPort(hostNs, port);
}

/** Removes an instance; removing one that does not exist is a no-op (returns false). */
export async function removeInstance(lab: string, name: string): Promise<boolean> {
  return withLabLock(lab, async () => {
    const state = await mustBeUp(lab);
    const instance = state.instances.find((i) => i.name === name);
    if (!instance) return false;
    const host = state.hosts.find((h) => h.id === instance.host);
    await removePlumbing(
      instance.ns,
      host?.ns ?? "/nonexistent",
      host?.ovsDir ?? "/nonexistent",
      host?.bridge ?? "",
      instance.port,
    );
    state.instances = state.instances.filter((i) => i.name !== name);
    await writeState(state);
    return true;
  });
}
