import path from "node:path";
import { parseArgs } from "node:util";
import { LabError } from "@nvi/lab";
import { setUpDemo, tearDownDemo } from "./demo-org.ts";
import { joinLocalHost, startLocalHosts } from "./local-hosts.ts";
import { ROOT } from "./stack.ts";

const USAGE = `usage: local-hosts <command> [options]

  serve --console URL [--topology routed|internet] [--datacenters 2] [--hosts-per-dc 1] [--name NAME] [--tsc-port 6653]
        lab hosts for a console on this machine; runs until Ctrl-C / SIGTERM, then tears down.
        internet: clouds joined only through an internet namespace, the first host of each
        datacenter its gateway (dc1 behind a 1:1 NAT, dc2 public, dc3 behind a port-rewriting NAT)
  join --dc N 'nvj_…@url'     enroll the next free host of datacenter N with a join string
  demo --console URL --login-file FILE [--public-url URL]
        a demo account (its password goes to FILE) with a cloud per datacenter, every host enrolled
        (internet topology: clouds joined through gateways, each datacenter's gateway declared)
  demo-remove                 removes the demo account and its organization (scripts/down.sh)
  --state FILE (all commands)  default ${path.join(ROOT, ".run/local-hosts.json")}`;

const say = (line: string): void => void process.stdout.write(`${line}\n`);

async function main(argv: string[]): Promise<void> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      console: { type: "string" },
      topology: { type: "string", default: "routed" },
      datacenters: { type: "string", default: "2" },
      "hosts-per-dc": { type: "string", default: "1" },
      name: { type: "string" },
      "tsc-port": { type: "string", default: "6653" },
      dc: { type: "string" },
      state: { type: "string", default: path.join(ROOT, ".run/local-hosts.json") },
      "login-file": { type: "string" },
      "public-url": { type: "string" },
      help: { type: "boolean" },
    },
  });
  const [command, arg] = positionals;
  if (v.help || !command) return say(USAGE);
  if (command === "serve") {
    if (!v.console) throw new LabError("serve needs --console URL (the console these hosts join)");
    if (v.topology !== "routed" && v.topology !== "internet")
      throw new LabError(`--topology must be routed or internet, not "${v.topology}"`);
    const hosts = await startLocalHosts({
      consoleUrl: v.console,
      datacenters: Number(v.datacenters),
      hostsPerDc: Number(v["hosts-per-dc"]),
      name: v.name,
      tscPort: Number(v["tsc-port"]),
      stateFile: v.state,
      topology: v.topology,
    });
    say(JSON.stringify({ ready: true, ...hosts.state }));
    await new Promise<void>((resolve) => {
      for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
    });
    await hosts.close();
    return say("local hosts torn down");
  }
  if (command === "join") {
    if (!v.dc || !arg) throw new LabError("join needs --dc N and the join string");
    const { hostname } = await joinLocalHost(v.state, Number(v.dc), arg);
    return say(`${hostname} is enrolling; it appears under Clouds → hosts within seconds`);
  }
  if (command === "demo") {
    if (!v.console || !v["login-file"]) throw new LabError("demo needs --console URL and --login-file FILE");
    return setUpDemo({
      consoleUrl: v.console,
      publicUrl: v["public-url"] ?? v.console,
      stateFile: v.state,
      loginFile: v["login-file"],
    });
  }
  if (command === "demo-remove")
    return say((await tearDownDemo()) ? "the demo account is removed" : "no demo account to remove");
  throw new LabError(`unknown command "${command}"\n\n${USAGE}`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(
    `local-hosts: ${e instanceof LabError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
