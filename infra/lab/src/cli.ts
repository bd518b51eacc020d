import { parseArgs } from "node:util";
import { LabError } from "./exec.ts";
import { addInstance, removeInstance } from "./instances.ts";
import { formatStatus, labStatus, listLabs, resolveLabName } from "./status.ts";
import { startAgent, stopAgent } from "./agents.ts";
import { restorePlumbing, setController } from "./controller.ts";
import { labDown } from "./teardown.ts";
import { labUp } from "./up.ts";

export const USAGE = `usage: lab <command> [options]

  up --datacenters M --hosts-per-dc N [--name NAME] [--controller tcp:ADDR:PORT] [--agent "CMD"] [--bridge veb0]
       ADDR "mgmt" means the lab's TSC address (shown by status). CMD runs in every host's netns.
  down [--name NAME] [--force]             stop and remove everything named NAME-* (idempotent; --force
                                           also when NAME has no run dir, i.e. was not made by a lab here)
  status [--name NAME] [--json]
  tsc-ip [--name NAME]                     the address the TSC should listen on (TSC_BIND_ADDRESS)
  controller TARGET|none [--name NAME]     point every VEB at tcp:ADDR:PORT (flushes flows; plumbing is restored)
  plumb [--host H] [--name NAME]           reinstall the host plumbing flows (LOCAL <-> fabric) a controller wiped
  list                                     labs with a run dir
  agent stop|start --host H [--agent "CMD"] [--lab NAME]
  instance add --host H --name I --ip 10.x.y.z/24 [--mac MAC] [--id ID] [--no-server] [--lab NAME]
  instance rm --name I [--lab NAME]

NAME defaults to a random nlXXXX for up, and to the only running lab otherwise.`;

const OPTIONS = {
  name: { type: "string" },
  lab: { type: "string" },
  datacenters: { type: "string" },
  "hosts-per-dc": { type: "string" },
  controller: { type: "string" },
  agent: { type: "string" },
  bridge: { type: "string" },
  host: { type: "string" },
  ip: { type: "string" },
  mac: { type: "string" },
  id: { type: "string" },
  json: { type: "boolean" },
  force: { type: "boolean" },
  "no-server": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export type Parsed = ReturnType<typeof parse>;

export function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

function int(value: string | undefined, flag: string): number {
  if (value === undefined) throw new LabError(`${flag} is required\n\n${USAGE}`);
  const n = Number(value);
  if (!Number.isInteger(n)) throw new LabError(`${flag} must be an integer, got "${value}"`);
  return n;
}

function need(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") throw new LabError(`${flag} is required\n\n${USAGE}`);
  return value;
}

export async function main(argv: string[], out: (line: string) => void = (l) => console.log(l)): Promise<void> {
  const { values: v, positionals: pos } = parse(argv);
  const [command, sub] = pos;
  if (v.help || command === undefined) return out(USAGE);
  switch (command) {
    case "up": {
      const t0 = Date.now();
      // Ctrl-C during up: finish the current step, tear down what exists, exit non-zero
      const abort = new AbortController();
      const onSignal = (): void => {
        out("  interrupted: tearing down what was created (Ctrl-C again to quit at once; then run down)");
        if (abort.signal.aborted) process.exit(130);
        abort.abort();
      };
      process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
      const state = await labUp({
        signal: abort.signal,
        name: v.name,
        datacenters: int(v.datacenters, "--datacenters"),
        hostsPerDc: int(v["hosts-per-dc"], "--hosts-per-dc"),
        controller: v.controller,
        agentCommand: v.agent,
        bridge: v.bridge,
        log: (l) => out(`  ${l}`),
      }).finally(() => process.off("SIGINT", onSignal).off("SIGTERM", onSignal));
      out(
        `lab ${state.name} up in ${Date.now() - t0} ms: ${state.datacenters.length} datacenter(s), ${state.hosts.length} host(s)`,
      );
      out(`TSC address: ${state.mgmt.tscIp} (listen there; controller target ${state.controller ?? "none set"})`);
      out(`state: ${state.runDir}/state.json — "lab status --name ${state.name}", "lab down --name ${state.name}"`);
      return;
    }
    case "down": {
      const labs = await listLabs();
      if (!v.name && !v.lab && labs.length === 0) return out("no lab is up; nothing to do");
      const name = v.name ?? v.lab ?? (await resolveLabName(undefined));
      const r = await labDown(name, { force: v.force });
      if (r.untouched) {
        const u = r.untouched;
        return out(
          `lab ${name} has no run dir, so ${[...u.namespaces, ...u.links].join(" ")} were not made by a lab here; left alone (--force removes them)`,
        );
      }
      if (!r.hadState && r.namespaces + r.links + r.stopped === 0) return out(`lab ${name} is not up; nothing to do`);
      return out(
        `lab ${name} down in ${r.ms} ms: stopped ${r.stopped} processes, deleted ${r.namespaces} namespaces and ${r.links} root links`,
      );
    }
    case "status": {
      const s = await labStatus(await resolveLabName(v.name ?? v.lab));
      return out(v.json ? JSON.stringify(s, null, 2) : formatStatus(s));
    }
    case "tsc-ip":
      return out((await labStatus(await resolveLabName(v.name ?? v.lab))).state.mgmt.tscIp);
    case "controller": {
      const name = await resolveLabName(v.name ?? v.lab);
      const target = need(sub, "TARGET (tcp:ADDR:PORT, tcp:mgmt:PORT or none)");
      const set = await setController(name, target === "none" ? undefined : target);
      return out(set ? `lab ${name}: every VEB now dials ${set}` : `lab ${name}: controller removed`);
    }
    case "plumb": {
      const name = await resolveLabName(v.name ?? v.lab);
      const hosts = await restorePlumbing(name, v.host ? [v.host] : undefined);
      return out(`lab ${name}: plumbing flows restored on ${hosts.join(" ")}`);
    }
    case "agent": {
      const lab = await resolveLabName(v.lab ?? v.name);
      const hostId = need(v.host, "--host");
      if (sub === "stop")
        return out(
          (await stopAgent(lab, hostId)) ? `agent of ${hostId} stopped` : `no agent ran on ${hostId}; nothing to do`,
        );
      if (sub === "start") return out(`agent of ${hostId} started (pid ${await startAgent(lab, hostId, v.agent)})`);
      throw new LabError(`unknown agent command "${sub ?? ""}"\n\n${USAGE}`);
    }
    case "list":
      return out((await listLabs()).join("\n") || "no labs");
    case "instance": {
      const lab = await resolveLabName(v.lab ?? undefined);
      if (sub === "add") {
        const i = await addInstance(lab, {
          host: need(v.host, "--host"),
          name: need(v.name, "--name"),
          ip: need(v.ip, "--ip"),
          mac: v.mac,
          id: v.id,
          server: !v["no-server"],
        });
        return out(
          `instance ${i.name} on ${i.host}: ${i.ip}/${i.prefixLen} ${i.mac} gw ${i.gateway}, OVS port ${i.port} (ofport ${i.ofport}), netns ${i.ns}; ${i.serverPid ? `tcp/udp echo :${i.ports.tcp}, http :${i.ports.http}` : "no server"}`,
        );
      }
      if (sub === "rm") {
        const name = need(v.name, "--name");
        return out(
          (await removeInstance(lab, name))
            ? `instance ${name} removed`
            : `no instance ${name} in lab ${lab}; nothing to do`,
        );
      }
      throw new LabError(`unknown instance command "${sub ?? ""}"\n\n${USAGE}`);
    }
    default:
      throw new LabError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

const isMain = import.meta.url === `file://${process.argv[1] ?? ""}`;
if (isMain) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    const expected = e instanceof LabError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(`lab: ${expected ? (e as Error).message : String((e as Error).stack ?? e)}`);
    process.exitCode = 1;
  });
}
