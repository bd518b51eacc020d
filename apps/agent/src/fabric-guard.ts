import type { Runner } from "./runner.ts";

/**
 * The fabric egress guard (issue 14): an nftables netdev egress chain on the fabric NIC (the
 * interface that is OpenFlow port 1 of the VEB) dropping IPv4 packets from this host's instance
 * block that carry IP options (IHL ≠ 5). Open vSwitch cannot match IHL; the egress hook sees what
 * the userspace datapath sends with AF_PACKET (and what the kernel datapath transmits), so a
 * record-route or timestamp option set by a tenant never reaches the underlay. Only mapped traffic
 * of this host's instances is in scope: the host's own traffic (its fabric address) is untouched.
 */

export const FABRIC_GUARD_TABLE = "nvi_fabric";
const CHAIN = "fabric_out";
/** OpenFlow port of the fabric NIC on the VEB, by the agent's and the lab's convention. */
export const FABRIC_OFPORT = 1;

export interface FabricGuardTarget {
  /** the fabric NIC's interface name */
  nic: string;
  /** the host's instance block, e.g. 100.65.3.0/24 */
  instanceBlock: string;
}

const IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/;
const CIDR = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

/**
 * One nft transaction that (re)creates the table with exactly the guard: declaring the table first
 * makes the delete safe when it is missing; the kernel applies all three at once, so the old chain
 * stays until the new one is in.
 */
export function fabricGuardScript(t: FabricGuardTarget): string {
  if (!IFNAME.test(t.nic)) throw new Error(`fabric NIC name ${JSON.stringify(t.nic)} is not an interface name`);
  if (!CIDR.test(t.instanceBlock)) throw new Error(`instance block ${JSON.stringify(t.instanceBlock)} is not a CIDR`);
  return [
    `table netdev ${FABRIC_GUARD_TABLE}`,
    `delete table netdev ${FABRIC_GUARD_TABLE}`,
    `table netdev ${FABRIC_GUARD_TABLE} { chain ${CHAIN} {` +
      ` type filter hook egress device "${t.nic}" priority 0; policy accept;` +
      ` ip saddr ${t.instanceBlock} ip hdrlength != 5 counter drop; }; }`,
  ].join("\n");
}

/** The VEB's interface with OpenFlow port 1 (the fabric NIC); undefined when there is none. */
export async function fabricNicOf(run: Runner, bridge: string): Promise<string | undefined> {
  const names = (await run("ovs-vsctl", ["--bare", "--columns=name", "find", "interface", `ofport=${FABRIC_OFPORT}`]))
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    const br = await run("ovs-vsctl", ["iface-to-br", name]).then(
      (s) => s.trim(),
      () => "",
    );
    if (br === bridge) return name;
  }
  return undefined;
}

export type FabricGuardState =
  | { ok: true; nic: string; instanceBlock: string }
  | { ok: false; reason: string; nic?: string; instanceBlock?: string; waitingForBlock?: true };

/**
 * Puts the guard in place for the fabric NIC of `bridge` and `instanceBlock`, or says why not
 * (no block configured, no port 1 on the VEB, the NIC missing from the kernel, nft refusing).
 * Idempotent; nft accepts a hook on a device that does not exist, so the NIC is checked first.
 */
export async function ensureFabricGuard(
  run: Runner,
  bridge: string,
  instanceBlock: string | undefined,
): Promise<FabricGuardState> {
  if (!instanceBlock)
    return {
      ok: false,
      reason: "no instance block (NVI_INSTANCE_BLOCK, or the console's) to scope the guard to",
      waitingForBlock: true,
    };
  const nic = await fabricNicOf(run, bridge).catch(() => undefined);
  if (!nic) return { ok: false, reason: `no interface with ofport ${FABRIC_OFPORT} on ${bridge}`, instanceBlock };
  const present = await run("ip", ["link", "show", "dev", nic]).then(
    () => true,
    () => false,
  );
  if (!present) return { ok: false, reason: `fabric NIC ${nic} is not a kernel interface`, nic, instanceBlock };
  try {
    await run("nft", [fabricGuardScript({ nic, instanceBlock })]);
  } catch (error) {
    return { ok: false, reason: `nft: ${(error as Error).message.trim()}`, nic, instanceBlock };
  }
  return { ok: true, nic, instanceBlock };
}

/**
 * Keeps the guard in place across heartbeats: applies it at the first call, again whenever the
 * fabric NIC changes, the chain is gone or the last attempt failed, and logs each change of state (a
 * failure loudly, at error level, and again every `repeatEvery` failed attempts).
 */
export class FabricGuardKeeper {
  private last: FabricGuardState | undefined;
  private failures = 0;

  constructor(
    private readonly run: Runner,
    private readonly bridge: string,
    private instanceBlock: string | undefined,
    private readonly log: (level: "info" | "error", msg: string, fields: Record<string, unknown>) => void,
    private readonly repeatEvery = 30,
  ) {}

  /** The block the console assigned after enrollment: the guard is put in place again for it. */
  useBlock(instanceBlock: string): void {
    if (instanceBlock === this.instanceBlock) return;
    this.instanceBlock = instanceBlock;
    this.last = undefined;
  }

  get state(): FabricGuardState | undefined {
    return this.last;
  }

  async keep(): Promise<FabricGuardState> {
    if (this.last?.ok) {
      const nic = await fabricNicOf(this.run, this.bridge).catch(() => undefined);
      // still there (a firewall manager's `nft flush ruleset` removes it too)
      const held = await this.run("nft", ["list", "chain", "netdev", FABRIC_GUARD_TABLE, CHAIN]).then(
        () => true,
        () => false,
      );
      if (nic === this.last.nic && held) return this.last;
    }
    const now = await ensureFabricGuard(this.run, this.bridge, this.instanceBlock);
    if (now.ok) {
      this.log("info", "fabric egress guard in place", { nic: now.nic, instanceBlock: now.instanceBlock });
      this.failures = 0;
    } else if (this.last?.ok !== false || this.last.reason !== now.reason || ++this.failures % this.repeatEvery === 0) {
      this.log("error", "fabric egress guard NOT in place: instances' IP options may reach the underlay", {
        reason: now.reason,
        nic: now.nic,
      });
    }
    this.last = now;
    return now;
  }
}
