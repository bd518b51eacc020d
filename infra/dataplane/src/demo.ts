/**
 * One command to see the NVI data path: a 2 × 2 lab driven by the real TSC, two tenants on the
 * same CIDR, a reachability matrix from real pings, a capture of the underlay, the flows on one
 * VEB; then it waits (Ctrl-C tears everything down) unless --exit is given.
 *
 *   pnpm --filter @nvi/dataplane demo [--exit]
 */
import { type InstanceState, ofctl, ping } from "@nvi/lab";
import { startDataplaneLab } from "./harness.ts";
import { capture, httpWho } from "./probes.ts";

const A = { tenantId: "org_a", vpcId: "vpc_a" };
const B = { tenantId: "org_b", vpcId: "vpc_b" };
const say = (s: string): void => console.log(s);

async function main(): Promise<void> {
  const t0 = Date.now();
  say("bringing up 2 datacenters × 2 hosts, each with its own Open vSwitch, and the TSC …");
  const lab = await startDataplaneLab({ datacenters: 2, hostsPerDc: 2 });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say("\ntearing down …");
    await lab.down();
    say("done; nothing left behind");
  };
  process.on("SIGINT", () => void stop().then(() => process.exit(0)));
  try {
    const plan: [string, string, string, typeof A][] = [
      ["a1", "h1", "10.20.0.2/24", A],
      ["a2", "h2", "10.20.0.3/24", A],
      ["a3", "h3", "10.20.0.4/24", A],
      ["b1", "h1", "10.20.0.2/24", B],
      ["b2", "h3", "10.20.0.3/24", B],
      ["b3", "h4", "10.20.0.4/24", B],
    ];
    const inst: (InstanceState & { tenant: string })[] = [];
    for (const [name, host, ip, t] of plan)
      inst.push({ ...(await lab.instance({ name, host, ip }, t)), tenant: t.tenantId });
    say(
      `lab ${lab.state.name} up in ${((Date.now() - t0) / 1000).toFixed(1)} s; TSC on ${lab.state.mgmt.tscIp}:${lab.port}\n`,
    );
    say("instances (tenant A and tenant B use the same 10.20.0.0/24):");
    for (const i of inst) {
      const h = lab.state.hosts.find((x) => x.id === i.host)!;
      say(
        `  ${i.name}  ${i.tenant}  ${i.ip.padEnd(10)} on ${i.host} (dc${h.dc})  fabric address ${lab.mapping.fabricAddressOf(i.name) ?? "-"}`,
      );
    }
    const addresses = [...new Set(inst.map((i) => i.ip))];
    say("\nwho answers HTTP at each address (real packets; each tenant sees only its own VPC):");
    say(`        ${addresses.map((a) => a.padEnd(11)).join("")}`);
    for (const src of inst) {
      const cells: string[] = [];
      for (const a of addresses)
        cells.push(
          (a === src.ip
            ? "(itself)"
            : ((await httpWho(src.ns, a, 1_000))?.replace("instance ", "") ?? "nobody")
          ).padEnd(11),
        );
      say(`  ${src.name}    ${cells.join("")}`);
    }
    const foreign = ["a1", "a2", "a3"].map((n) => lab.mapping.fabricAddressOf(n)!);
    const leaks = await Promise.all(foreign.map(async (f) => (await ping(inst[3]!.ns, f)).ok));
    say(
      `b1 pinging tenant A's fabric addresses ${foreign.join(", ")}: ${leaks.some(Boolean) ? "ANSWERED (bug!)" : "no answer (denied, default deny)"}`,
    );
    const lines = await capture(lab.state.router.ns, "dc1", "icmp", 2, () =>
      ping(inst[0]!.ns, inst[2]!.ip, { size: 1472, dontFragment: true }),
    );
    say("\non the underlay (router leg of dc1) while a1 pings a3 with 1472 bytes, DF set:");
    for (const l of lines) say(`  ${l.trim()}`);
    const h1 = lab.state.hosts[0]!;
    const flows = (await ofctl(h1.ovsDir, "dump-flows", h1.bridge))
      .split("\n")
      .filter((l) => l.includes("cookie=0x4e5605"));
    say(`\nmapping flows on h1 (${flows.length}):`);
    for (const f of flows)
      say(
        `  ${f
          .trim()
          .replace(/ duration=[^,]*,/, "")
          .replace(/ n_bytes=[^,]*,/, "")}`,
      );
    say(`\nTSC: ${JSON.stringify(lab.mapping.stats())}`);
    say(
      `\nexplore: ip netns exec ${inst[0]!.ns} ping ${inst[2]!.ip}   ·   OVS_RUNDIR=${h1.ovsDir} ovs-ofctl -O OpenFlow13 dump-flows veb0`,
    );
    if (process.argv.includes("--exit")) await stop();
    else say("Ctrl-C tears it all down.");
  } catch (e) {
    await stop();
    throw e;
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
