import { existsSync } from "node:fs";
import { open, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { labRoot } from "./env.ts";
import { LabError, sleep } from "./exec.ts";
import { INSTANCE_NAME, LAB_NAME, MAC } from "./plan.ts";

const Ip = z.ipv4();
const Mac = z.string().regex(MAC);
const Pid = z.number().int().positive();

export const HostState = z
  .object({
    id: z.string().regex(/^h\d+$/),
    index: z.number().int().positive(),
    dc: z.number().int().positive(),
    ns: z.string(),
    bridge: z.string().regex(/^[a-z0-9-]{1,15}$/),
    datapathId: z.string().regex(/^[0-9a-f]{16}$/),
    fabricIp: Ip,
    fabricPrefixLen: z.number().int(),
    fabricMac: Mac,
    nicMac: Mac,
    gatewayIp: Ip,
    /** the next hop's MAC (the datacenter router's leg): what a flow sends a packet for another host to */
    gatewayMac: Mac,
    /** routed block of instance fabric addresses (the TSC leases from it) */
    instanceBlock: z.string().regex(/^100\.65\.\d{1,3}\.0\/24$/),
    mgmtIp: Ip,
    ovsDir: z.string().startsWith("/"),
    pids: z.object({ ovsdb: Pid.optional(), vswitchd: Pid.optional(), agent: Pid.optional() }).strict(),
    /** set on a gateway host of the internet topology (src/internet.ts); its agent sets the tunnel up */
    gateway: z
      .object({
        mode: z.enum(["nat", "napt", "public"]),
        publicIp: Ip,
        wgIf: z.string().regex(/^[a-z0-9]{1,15}$/),
      })
      .strict()
      .optional(),
  })
  .strict();
export type HostState = z.infer<typeof HostState>;

export const InstanceState = z
  .object({
    name: z.string().regex(INSTANCE_NAME),
    host: z.string(),
    ns: z.string(),
    ip: Ip,
    prefixLen: z.number().int(),
    gateway: Ip,
    mac: Mac,
    port: z.string(),
    ofport: z.number().int().positive(),
    serverPid: Pid.optional(),
    ports: z.object({ tcp: z.number().int(), udp: z.number().int(), http: z.number().int() }).strict(),
  })
  .strict();
export type InstanceState = z.infer<typeof InstanceState>;

export const LabState = z
  .object({
    version: z.literal(1),
    name: z.string().regex(LAB_NAME),
    phase: z.enum(["starting", "up"]),
    createdAt: z.iso.datetime(),
    runDir: z.string().startsWith("/"),
    controller: z.string().optional(),
    agentCommand: z.string().optional(),
    mgmt: z.object({ bridge: z.string(), subnet: z.string(), tscIp: Ip }).strict(),
    router: z.object({ ns: z.string() }).strict(),
    /** the internet topology: datacenters joined only through this namespace (src/internet.ts) */
    internet: z
      .object({
        ns: z.string(),
        subnet: z.string(),
        edges: z.array(z.object({ dc: z.number().int(), ns: z.string(), publicIp: Ip }).strict()),
      })
      .strict()
      .optional(),
    datacenters: z.array(
      z
        .object({
          index: z.number().int(),
          id: z.string(),
          ns: z.string(),
          subnet: z.string(),
          routerIp: Ip,
          routerMac: Mac,
        })
        .strict(),
    ),
    hosts: z.array(HostState),
    instances: z.array(InstanceState),
  })
  .strict();
export type LabState = z.infer<typeof LabState>;

export const runDirOf = (lab: string): string => path.join(labRoot(), lab);
export const statePathOf = (lab: string): string => path.join(runDirOf(lab), "state.json");

/** Parses a state file's text; a readable error names the file and the first problems. */
export function parseState(text: string, file = "state.json"): LabState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new LabError(`${file} is not JSON: ${(e as Error).message}`);
  }
  const result = LabState.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new LabError(`${file} is not a lab state:\n  ${issues.join("\n  ")}`);
  }
  return result.data;
}

export async function readState(lab: string): Promise<LabState | null> {
  const file = statePathOf(lab);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return null;
  }
  return parseState(text, file);
}

/** Atomic: write a temp file next to it, then rename. */
export async function writeState(state: LabState): Promise<void> {
  const checked = LabState.parse(state);
  const file = statePathOf(checked.name);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(checked, null, 2)}\n`);
  await rename(tmp, file);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One writer per lab at a time (two `instance add` in parallel must not lose each other's
 * state): an O_EXCL lock file holding the owner's PID; a lock whose owner is gone is taken over.
 */
export async function withLabLock<T>(
  lab: string,
  fn: () => Promise<T>,
  options: { create?: boolean; timeoutMs?: number } = {},
): Promise<T> {
  const dir = runDirOf(lab);
  // only `up` creates a lab's run dir; for anything else an absent dir means "not up": nothing to lock
  if (!options.create && !existsSync(dir)) return fn();
  await mkdir(dir, { recursive: true });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const lock = path.join(dir, "lock");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(lock, "wx");
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const owner = Number((await readFile(lock, "utf8").catch(() => "")).trim());
      if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new LabError(`lab ${lab} is busy (lock ${lock} held by pid ${owner || "?"})`);
      await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
