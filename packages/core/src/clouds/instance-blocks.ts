import {
  containsAddress,
  formatCidr,
  isProblem,
  last,
  overlaps,
  parseCidr,
  parseIpv4,
  type Cidr,
} from "../net/cidr.ts";

/**
 * The console assigns each host that carries traffic an instance block when its agent claims none
 * (`install.sh` without `--instance-block`): the first free /24 of the console's pool
 * (`NVI_INSTANCE_POOL`, default 100.96.0.0/11: the upper half of RFC 6598's shared address space,
 * 8,192 blocks; the lower half is where labs and carrier NATs put fabric addresses). Free means:
 * overlapping no approved block and holding no known host's fabric address. The pool must not hold
 * fabric addresses of hosts yet to come: such a host would be refused (its address inside another
 * host's block). The caller holds the identity lock, so two enrollments never get the same block;
 * the unique index on `hosts.instance_block` is the second guard. The underlay must route the block
 * to the host (install.sh prints it).
 */
export const DEFAULT_INSTANCE_POOL = "100.96.0.0/11";
export const INSTANCE_BLOCK_PREFIX = 24;

/** The pool as configured, or why it cannot serve (a pool smaller than one block, a bad CIDR). */
export function parseInstancePool(text: string): Cidr | { message: string } {
  const pool = parseCidr(text);
  if (isProblem(pool)) return { message: `NVI_INSTANCE_POOL: ${pool.message}` };
  if (pool.prefix > INSTANCE_BLOCK_PREFIX)
    return { message: `NVI_INSTANCE_POOL: ${text} is smaller than one /${INSTANCE_BLOCK_PREFIX} block` };
  return pool;
}

/**
 * The indexes of the pool's /24s that `blocks` touch (a small block takes its whole /24, a wide one
 * every /24 it covers; blocks outside the pool touch none). What an organization holds of the pool.
 */
export function poolSlots(pool: Cidr, blocks: readonly (string | null)[]): Set<number> {
  const used = new Set<number>();
  const slots = 2 ** (INSTANCE_BLOCK_PREFIX - pool.prefix);
  for (const text of blocks) {
    const block = text ? parseCidr(text) : null;
    if (!block || isProblem(block) || !overlaps(block, pool)) continue;
    const from = Math.max(slotOf(pool, Math.max(block.network, pool.network)), 0);
    const to = Math.min(slotOf(pool, Math.min(last(block), last(pool))), slots - 1);
    for (let i = from; i <= to; i++) used.add(i);
  }
  return used;
}

const STEP = 2 ** (32 - INSTANCE_BLOCK_PREFIX);
const slotOf = (pool: Cidr, address: number) => Math.floor((address - pool.network) / STEP);

/** The first /24 of `pool` clear of every taken block and fabric address, or null when the pool is full. */
export function firstFreeBlock(
  pool: Cidr,
  taken: readonly { instanceBlock: string | null; fabricAddress: string | null }[],
): string | null {
  const slots = 2 ** (INSTANCE_BLOCK_PREFIX - pool.prefix);
  // the pool's /24s anything taken touches, by index; one pass over the hosts, one over the pool
  const used = poolSlots(
    pool,
    taken.map((t) => t.instanceBlock),
  );
  for (const t of taken) {
    const address = t.fabricAddress ? parseIpv4(t.fabricAddress) : null;
    if (address !== null && containsAddress(pool, address)) used.add(slotOf(pool, address));
  }
  for (let i = 0; i < slots; i++)
    if (!used.has(i)) return formatCidr({ network: pool.network + i * STEP, prefix: INSTANCE_BLOCK_PREFIX });
  return null;
}
