import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

/**
 * A throwaway Open vSwitch for integration tests, in namespaces of its own:
 *
 *   root ns (test process, TSC on <controllerIp>:<port>) ──veth── ns <p>-sw: ovsdb-server + ovs-vswitchd,
 *   bridge br0 (netdev datapath, fail_mode=secure, OpenFlow13) ── veth ── ns <p>-hN: eth0 10.0.0.N
 *
 * vswitchd runs in its own netns (two userspace datapaths cannot share one: the `ovs-netdev` tap
 * collides), so it reaches the controller over a /30 veth link rather than the root's loopback.
 */
const pexec = promisify(execFile);
const SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";
const REQUIRED = ["ip", "ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl"];

export interface LabHost {
  ns: string;
  ip: string;
  mac: string;
  ofport: number;
}

export interface OvsLab {
  prefix: string;
  dir: string;
  controllerIp: string;
  bridge: string;
  datapathId: bigint;
  hosts: LabHost[];
  vsctl(...args: string[]): Promise<string>;
  ofctl(...args: string[]): Promise<string>;
  inNs(ns: string, ...cmd: string[]): Promise<string>;
  pointAt(port: number): Promise<void>;
  /** A UDP echo server inside a host namespace (a node child process, killed by PID on cleanup). */
  udpEcho(host: LabHost, port: number): Promise<void>;
  /** Send UDP datagrams from `from` to ip:port until one echo returns; true if it did within timeoutMs. */
  udpProbe(from: LabHost, ip: string, port: number, timeoutMs?: number): Promise<boolean>;
  cleanup(): Promise<void>;
}

const ECHO_JS = `const s=require("dgram").createSocket("udp4");s.on("message",(m,r)=>s.send(m,r.port,r.address));s.bind(Number(process.argv[1]),()=>console.log("up"));`;
const PROBE_JS = `const [ip,port,ms]=process.argv.slice(1);const s=require("dgram").createSocket("udp4");
const t=setInterval(()=>s.send("probe",Number(port),ip),100);s.send("probe",Number(port),ip);
s.on("message",()=>{console.log("ok");process.exit(0)});setTimeout(()=>{console.log("timeout");process.exit(1)},Number(ms));`;

export async function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await pexec(cmd, args, { env: env ? { ...process.env, ...env } : process.env, timeout: 20_000 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${err.stderr?.trim() || err.message}`);
  }
}

/** Fails loudly (never skips) when Open vSwitch or iproute2 is missing. */
export async function requireOvsBinaries(): Promise<void> {
  const missing: string[] = [];
  for (const bin of REQUIRED) {
    try {
      await pexec("sh", ["-c", `command -v ${bin}`]);
    } catch {
      missing.push(bin);
    }
  }
  if (missing.length > 0 || !existsSync(SCHEMA)) {
    throw new Error(
      `integration tests need Open vSwitch: missing ${missing.join(", ") || SCHEMA}. Install with: apt-get install -y openvswitch-switch`,
    );
  }
  if (process.getuid?.() !== 0) throw new Error("integration tests need root (network namespaces)");
}

async function killPidfile(file: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(file, "utf8")).trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 25));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

export async function startOvsLab(options: { hosts?: number; controllerPort?: number } = {}): Promise<OvsLab> {
  await requireOvsBinaries();
  const tag = randomBytes(3).toString("hex");
  const prefix = `of${tag}`;
  const dir = await mkdtemp(path.join(tmpdir(), `nvi-ovs-${tag}-`));
  const swNs = `${prefix}-sw`;
  const octet = 16 + ((randomBytes(1)[0] ?? 0) % 200);
  const quad = ((randomBytes(1)[0] ?? 0) % 60) * 4;
  const controllerIp = `10.254.${octet}.${quad + 1}`;
  const swIp = `10.254.${octet}.${quad + 2}`;
  const env = { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir };
  const namespaces: string[] = [];
  const datapathId = BigInt(`0x${randomBytes(6).toString("hex")}`);
  const nsExec = (ns: string, ...cmd: string[]) => run("ip", ["netns", "exec", ns, ...cmd]);
  const children: number[] = [];

  const lab: OvsLab = {
    prefix,
    dir,
    controllerIp,
    bridge: "br0",
    datapathId,
    hosts: [],
    vsctl: (...args) => run("ovs-vsctl", ["--timeout=10", `--db=unix:${dir}/db.sock`, ...args], env),
    ofctl: (...args) => run("ovs-ofctl", ["-O", "OpenFlow13", ...args], env),
    inNs: nsExec,
    pointAt: async (port) => {
      await lab.vsctl("set-controller", "br0", `tcp:${controllerIp}:${port}`);
      await lab.vsctl("set", "controller", "br0", "max_backoff=1000", "inactivity_probe=5000");
    },
    udpEcho: async (host, port) => {
      const child = spawn("ip", ["netns", "exec", host.ns, process.execPath, "-e", ECHO_JS, String(port)], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      if (child.pid !== undefined) children.push(child.pid);
      await new Promise<void>((resolve, reject) => {
        child.stdout.once("data", () => resolve());
        child.once("exit", (code) => reject(new Error(`udp echo server in ${host.ns} exited with ${code}`)));
      });
    },
    udpProbe: async (from, ip, port, timeoutMs = 3000) => {
      try {
        await run("ip", [
          "netns",
          "exec",
          from.ns,
          process.execPath,
          "-e",
          PROBE_JS,
          ip,
          String(port),
          String(timeoutMs),
        ]);
        return true;
      } catch {
        return false;
      }
    },
    cleanup: async () => {
      for (const pid of children.splice(0)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
      await killPidfile(path.join(dir, "ovs-vswitchd.pid"));
      await killPidfile(path.join(dir, "ovsdb-server.pid"));
      for (const ns of namespaces.reverse()) await run("ip", ["netns", "del", ns]).catch(() => undefined);
      await run("ip", ["link", "del", `${prefix}c0`]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };

  try {
    await run("ip", ["netns", "add", swNs]);
    namespaces.push(swNs);
    await nsExec(swNs, "ip", "link", "set", "lo", "up");
    // no IPv6 chatter (router/neighbour solicitations) from br0 or the ports: packet-ins stay the test's own
    await nsExec(swNs, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
    await run("ip", ["link", "add", `${prefix}c0`, "type", "veth", "peer", "name", `${prefix}c1`, "netns", swNs]);
    await run("ip", ["addr", "add", `${controllerIp}/30`, "dev", `${prefix}c0`]);
    await run("ip", ["link", "set", `${prefix}c0`, "up"]);
    await nsExec(swNs, "ip", "addr", "add", `${swIp}/30`, "dev", `${prefix}c1`);
    await nsExec(swNs, "ip", "link", "set", `${prefix}c1`, "up");

    await run("ovsdb-tool", ["create", `${dir}/conf.db`, SCHEMA]);
    const common = ["--detach", "--no-chdir", "-vconsole:emer", "-vsyslog:off"];
    await nsExec(
      swNs,
      "env",
      `OVS_RUNDIR=${dir}`,
      "ovsdb-server",
      `${dir}/conf.db`,
      `--remote=punix:${dir}/db.sock`,
      `--pidfile=${dir}/ovsdb-server.pid`,
      `--unixctl=${dir}/ovsdb-server.ctl`,
      `--log-file=${dir}/ovsdb-server.log`,
      ...common,
    );
    await lab.vsctl("--no-wait", "init");
    // veth senders leave checksums to offload; without userspace TSO the netdev datapath forwards them broken
    await lab.vsctl("--no-wait", "set", "Open_vSwitch", ".", "other_config:userspace-tso-enable=true");
    await nsExec(
      swNs,
      "env",
      `OVS_RUNDIR=${dir}`,
      "ovs-vswitchd",
      `unix:${dir}/db.sock`,
      `--pidfile=${dir}/ovs-vswitchd.pid`,
      `--unixctl=${dir}/ovs-vswitchd.ctl`,
      `--log-file=${dir}/ovs-vswitchd.log`,
      ...common,
    );
    await lab.vsctl(
      "add-br",
      "br0",
      "--",
      "set",
      "bridge",
      "br0",
      "datapath_type=netdev",
      "protocols=OpenFlow13",
      "fail_mode=secure",
      `other-config:datapath-id=${datapathId.toString(16).padStart(16, "0")}`,
      "other-config:disable-in-band=true",
    );
    await nsExec(swNs, "ip", "link", "set", "br0", "up");
    for (let i = 1; i <= (options.hosts ?? 2); i++) {
      const ns = `${prefix}-h${i}`;
      await run("ip", ["netns", "add", ns]);
      namespaces.push(ns);
      const host: LabHost = { ns, ip: `10.0.0.${i}`, mac: `02:00:00:00:00:0${i}`, ofport: i };
      await nsExec(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
      await nsExec(swNs, "ip", "link", "add", `${prefix}h${i}`, "type", "veth", "peer", "name", "eth0", "netns", ns);
      await nsExec(ns, "ip", "link", "set", "eth0", "address", host.mac);
      await nsExec(ns, "ip", "addr", "add", `${host.ip}/24`, "dev", "eth0");
      await nsExec(ns, "ip", "link", "set", "eth0", "up");
      await nsExec(ns, "ip", "link", "set", "lo", "up");
      await nsExec(swNs, "ip", "link", "set", `${prefix}h${i}`, "up");
      await lab.vsctl(
        "add-port",
        "br0",
        `${prefix}h${i}`,
        "--",
        "set",
        "interface",
        `${prefix}h${i}`,
        `ofport_request=${i}`,
      );
      lab.hosts.push(host);
    }
    if (options.controllerPort !== undefined) await lab.pointAt(options.controllerPort);
    return lab;
  } catch (e) {
    await lab.cleanup();
    throw e;
  }
}
