import path from "node:path";
import { applyGateway, networkOf } from "@nvi/agent/gateway";
import { tunnelAddressOf } from "@nvi/agent/gateway-probe";
import { LinkWatch } from "@nvi/agent/link-watch";
import type { Runner } from "@nvi/agent/runner";
import { wireguardPublicKey, WIREGUARD_KEY_FILE } from "@nvi/agent/wireguard-key";
import type { GatewayConfig } from "@nvi/contracts";
import { run, type LabState } from "@nvi/lab";

const inHost =
  (h: LabState["hosts"][number]): Runner =>
  (cmd, args) =>
    run("ip", ["netns", "exec", h.ns, "env", `OVS_RUNDIR=${h.ovsDir}`, `OVS_DBDIR=${h.ovsDir}`, cmd, ...args]);

/**
 * Waits until every gateway has completed a WireGuard handshake with each of its peers (the one
 * behind NAT starts them: its keepalive), as a running console's gateways would have long before
 * the first instance talks; a test's first echo then measures the mapping, not a handshake retry.
 */
async function handshakes(gateways: LabState["hosts"], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const h of gateways) {
    for (;;) {
      const out = await inHost(h)("wg", ["show", h.gateway!.wgIf, "latest-handshakes"]);
      const times = out
        .split("\n")
        .filter(Boolean)
        .map((l) => Number(l.trim().split(/\s+/)[1]));
      const peers = gateways.filter((p) => p.dc !== h.dc).length;
      if (times.length === peers && times.every((t) => t > 0)) break;
      if (Date.now() > deadline) throw new Error(`no WireGuard handshake on ${h.id}: ${out}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * For a lab without a console (the data-path harness): each gateway host's tunnel set up by the
 * agent's own code (apps/agent/src/gateway.ts) run inside the host's namespace, with the config the
 * console would answer its heartbeat with (every other gateway: its key, public address and
 * block). The key is made the agent's way, in the agent's state dir of that host (0600). Answers
 * a heartbeat: the same config applied again on every gateway, with each agent's memory of the
 * endpoints it set, as a running agent does with each heartbeat answer.
 */
export async function setUpGateways(state: LabState): Promise<() => Promise<void>> {
  const gateways = state.hosts.filter((h) => h.gateway);
  const stateDir = (h: LabState["hosts"][number]) => path.join(h.ovsDir, "agent");
  const keys = new Map(
    await Promise.all(gateways.map(async (h) => [h.id, await wireguardPublicKey(stateDir(h))] as const)),
  );
  const memory = new Map(gateways.map((h) => [h.id, new Map<string, string>()]));
  const apply = async (h: LabState["hosts"][number]): Promise<void> => {
    const config: GatewayConfig = {
      publicAddress: h.gateway!.publicIp,
      // the gateways of the other clouds (a datacenter is a cloud here), as the console answers
      peers: gateways
        .filter((p) => p.dc !== h.dc)
        .map((p) => ({ publicKey: keys.get(p.id)!, publicAddress: p.gateway!.publicIp, allowedIps: p.instanceBlock })),
    };
    await applyGateway(
      inHost(h),
      {
        bridge: h.bridge,
        wgIf: h.gateway!.wgIf,
        keyFile: path.join(stateDir(h), WIREGUARD_KEY_FILE),
        instanceBlock: h.instanceBlock,
        fabricNetwork: networkOf(h.fabricIp, h.fabricPrefixLen),
      },
      config,
      memory.get(h.id),
    );
  };
  for (const h of gateways) await apply(h);
  await handshakes(gateways);
  return async () => {
    for (const h of gateways) await apply(h);
  };
}

/**
 * For a lab without a console: each gateway's links watched by the agent's own code
 * (apps/agent/src/link-watch.ts, a ping twice a second inside the host's namespace), and every
 * verdict handed on as the worker does (core's link-reports.ts): bound to the watching host's
 * datapath id, the peer found by its public address. `onReports` gets all verdicts at each change.
 * Answers a stop.
 */
export function watchGatewayLinks(
  state: LabState,
  onReports: (reports: { from: bigint; peer: bigint; up: boolean }[], change: string) => void,
): () => void {
  const gateways = state.hosts.filter((h) => h.gateway);
  const dpid = (h: LabState["hosts"][number]) => BigInt(`0x${h.datapathId}`);
  const verdicts = new Map<string, { from: bigint; peer: bigint; up: boolean }>();
  const watches = gateways.map((h) => {
    const peers = gateways.filter((p) => p.dc !== h.dc);
    const watch = new LinkWatch(inHost(h), (publicAddress, up) => {
      const peer = peers.find((p) => p.gateway!.publicIp === publicAddress);
      if (!peer) return;
      verdicts.set(`${h.id}|${peer.id}`, { from: dpid(h), peer: dpid(peer), up });
      onReports([...verdicts.values()], `${h.id} → ${peer.id} ${up ? "up" : "down"}`);
    });
    watch.target({
      source: tunnelAddressOf(h.instanceBlock),
      peers: peers.map((p) => ({
        publicAddress: p.gateway!.publicIp,
        tunnelAddress: tunnelAddressOf(p.instanceBlock),
      })),
    });
    return watch;
  });
  return () => {
    for (const w of watches) w.stop();
  };
}
