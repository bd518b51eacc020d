import { readdir } from "node:fs/promises";
import { labRoot } from "./env.ts";
import { LabError, tryRun } from "./exec.ts";
import { ovsEnv } from "./ovs.ts";
import { pidInNs } from "./processes.ts";
import { type LabState, readState } from "./state.ts";

export interface HostStatus {
  id: string;
  dc: number;
  ns: string;
  fabric: string;
  mgmtIp: string;
  datapathId: string;
  vswitchd: boolean;
  ovsdb: boolean;
  agent: boolean | null;
  failMode: string;
  controller: string;
}

export interface LabStatus {
  state: LabState;
  hosts: HostStatus[];
  instances: { name: string; host: string; ip: string; mac: string; ofport: number; server: boolean }[];
}

/** Labs with a run dir under the lab root. */
export async function listLabs(): Promise<string[]> {
  try {
    return (await readdir(labRoot(), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/** The lab to act on: the one named, or the only one there is. */
export async function resolveLabName(name: string | undefined): Promise<string> {
  if (name) return name;
  const labs = await listLabs();
  if (labs.length === 1 && labs[0]) return labs[0];
  if (labs.length === 0) throw new LabError(`no lab is up (nothing under ${labRoot()})`);
  throw new LabError(`several labs are up (${labs.join(", ")}); say which with --name`);
}

async function vsctlField(dir: string, ...args: string[]): Promise<string> {
  const r = await tryRun("ovs-vsctl", ["--timeout=5", `--db=unix:${dir}/db.sock`, ...args], { env: ovsEnv(dir) });
  return r.ok ? r.out.trim().replace(/^"|"$/g, "") : "?";
}

export async function labStatus(lab: string): Promise<LabStatus> {
  const state = await readState(lab);
  if (!state) throw new LabError(`lab ${lab} is not up (no state file)`);
  const hosts = await Promise.all(
    state.hosts.map(async (h): Promise<HostStatus> => {
      const connected = await vsctlField(h.ovsDir, "--bare", "--columns=target,is_connected", "list", "Controller");
      return {
        id: h.id,
        dc: h.dc,
        ns: h.ns,
        fabric: `${h.fabricIp}/${h.fabricPrefixLen} ${h.fabricMac}`,
        mgmtIp: h.mgmtIp,
        datapathId: h.datapathId,
        vswitchd: h.pids.vswitchd !== undefined && (await pidInNs(h.pids.vswitchd, h.ns)),
        ovsdb: h.pids.ovsdb !== undefined && (await pidInNs(h.pids.ovsdb, h.ns)),
        agent: h.pids.agent === undefined ? null : await pidInNs(h.pids.agent, h.ns),
        failMode: await vsctlField(h.ovsDir, "get-fail-mode", h.bridge),
        controller: connected === "" ? "none" : connected.split(/\s+/).join(" connected="),
      };
    }),
  );
  const instances = await Promise.all(
    state.instances.map(async (i) => ({
      name: i.name,
      host: i.host,
      ip: `${i.ip}/${i.prefixLen}`,
      mac: i.mac,
      ofport: i.ofport,
      server: i.serverPid !== undefined && (await pidInNs(i.serverPid, i.ns)),
    })),
  );
  return { state, hosts, instances };
}

const yes = (b: boolean | null): string => (b === null ? "-" : b ? "up" : "DOWN");

export function formatStatus(s: LabStatus): string {
  const lines = [
    `lab ${s.state.name} (${s.state.phase}, since ${s.state.createdAt}), run dir ${s.state.runDir}`,
    `TSC address (management): ${s.state.mgmt.tscIp} on ${s.state.mgmt.bridge} (${s.state.mgmt.subnet}); controller target: ${s.state.controller ?? "none"}`,
    `router ${s.state.router.ns}: ${s.state.datacenters.map((d) => `${d.id} ${d.subnet} via ${d.routerIp}`).join(", ")}`,
    "",
    "host  dc  fabric                          mgmt            dpid              ovsdb vswitchd agent fail_mode controller",
    ...s.hosts.map((h) =>
      [
        h.id.padEnd(5),
        String(h.dc).padEnd(3),
        h.fabric.padEnd(31),
        h.mgmtIp.padEnd(15),
        h.datapathId,
        yes(h.ovsdb).padEnd(5),
        yes(h.vswitchd).padEnd(8),
        yes(h.agent).padEnd(5),
        h.failMode.padEnd(9),
        h.controller,
      ].join(" "),
    ),
  ];
  if (s.instances.length > 0) {
    lines.push("", "instance        host  address            mac                ofport server");
    for (const i of s.instances)
      lines.push(
        [i.name.padEnd(15), i.host.padEnd(5), i.ip.padEnd(18), i.mac, String(i.ofport).padEnd(6), yes(i.server)].join(
          " ",
        ),
      );
  }
  return lines.join("\n");
}
