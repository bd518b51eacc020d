/**
 * The TSC's OpenFlow pipeline, declared once (README "Pipeline"). Every flow the NVI mapping builds
 * names its table through STAGES; nothing else in the controller writes a table number.
 */
export const STAGES = {
  /** Port security: only an endpoint's own MAC + IP may enter, mapped traffic only for a leased fabric address; everything else drops. */
  PORT_SECURITY: { table: 0, name: "port-security" },
  /** ARP answered by flows, per (requesting port, target IP); no ARP reaches the TSC or floods. */
  ARP_RESPONDER: { table: 1, name: "arp-responder" },
  /** Allowed pairs: rewrite and output; a miss goes to the TSC (default deny, reactive decisions). */
  FORWARD: { table: 2, name: "forward" },
  /**
   * Replies of a pair whose policy is narrower than "anything both ways": the sender's packet went
   * through conntrack (`ct(zone=port, table=REPLY)`); only packets of a conversation the peer was
   * allowed to open (+est+rpl, or +rel) pass. Miss → drop.
   */
  REPLY: { table: 3, name: "reply" },
} as const;

export type StageName = keyof typeof STAGES;
export const TABLE_IDS = Object.values(STAGES).map((s) => s.table);

export function stageOfTable(tableId: number): StageName | undefined {
  return (Object.keys(STAGES) as StageName[]).find((k) => STAGES[k].table === tableId);
}

/**
 * Cookie layout: bits 48–63 mark the flow as ours (0x4e56, "NV"), bits 40–47 the flow kind,
 * bits 0–31 a tag (`taggedCookie`) or a version (`cookieFor`). Revocation deletes by cookie + mask.
 * Kinds the mapping writes: PIPELINE, MAPPING, DENY, LEASE, GATEWAY_LEASE. REACTIVE marks an app's own flows
 * (resync keeps them). PAIR and BLOCK are the first-generation compiler's (test support); their
 * numbers stay reserved.
 */
export const COOKIE_OWNER = 0x4e56n << 48n;
export const COOKIE_OWNER_MASK = 0xffffn << 48n;
export const FlowKind = {
  PIPELINE: 1,
  PAIR: 2,
  BLOCK: 3,
  REACTIVE: 4,
  MAPPING: 5,
  DENY: 6,
  LEASE: 7,
  GATEWAY_LEASE: 8,
} as const;
export type FlowKindName = keyof typeof FlowKind;

export function cookieFor(kind: FlowKindName, policyVersion: number): bigint {
  return COOKIE_OWNER | (BigInt(FlowKind[kind]) << 40n) | BigInt(policyVersion >>> 0);
}

/**
 * The same layout with a 32-bit tag in bits 0–31 instead of the policy version: MAPPING flows
 * carry their pair's tag (revoke a pair by cookie + mask), DENY flows the source VPC's, LEASE flows the
 * OpenFlow port the fabric address is leased to (so a restarted TSC reads leases back), GATEWAY_LEASE
 * flows the OpenFlow port of the instance a gateway lease is held for (its host's datapath id in the match).
 */
export function taggedCookie(kind: FlowKindName, tag: number): bigint {
  return COOKIE_OWNER | (BigInt(FlowKind[kind]) << 40n) | BigInt(tag >>> 0);
}
export const cookieTag = (cookie: bigint): number => Number(cookie & 0xffffffffn);
/** Cookie mask selecting kind + tag (what a revocation matches on). */
export const COOKIE_KIND_TAG_MASK = COOKIE_OWNER_MASK | (0xffn << 40n) | 0xffffffffn;

export function cookieKind(cookie: bigint): FlowKindName | undefined {
  if ((cookie & COOKIE_OWNER_MASK) !== COOKIE_OWNER) return undefined;
  const code = Number((cookie >> 40n) & 0xffn);
  return (Object.keys(FlowKind) as FlowKindName[]).find((k) => FlowKind[k] === code);
}

/** Priorities inside each stage. */
export const PRIORITY = {
  MISS: 0,
  /** an instance port's new conversations, to the TSC through the port's meter */
  PORT_MISS: 1,
  PLUMBING: 10,
  GUARD: 20,
  RATE_LIMIT: 50,
  DEFAULT: 100,
  DENY: 150,
  /** a gateway's block, from the fabric or its tunnel port, on to the pair flows (below an instance's LEASE) */
  GATEWAY: 190,
  ENDPOINT: 200,
  SERVICE: 210,
} as const;

/** conntrack state bits (`ct_state`) as OVS numbers them. */
export const CT = { NEW: 0x01, EST: 0x02, REL: 0x04, RPL: 0x08, INV: 0x10, TRK: 0x20 } as const;
