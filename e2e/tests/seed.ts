import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const root = path.resolve(import.meta.dirname, "../..");

/**
 * Fills the organization of `email` with a large, made-up network straight into Postgres
 * (bench/console/seed.ts: 4 clouds, hosts, one VPC, instances, groups, audit events, finished operations).
 */
export async function seedLargeOrganization(
  email: string,
  o: { hosts: number; instances: number; audit: number; operations?: number },
): Promise<void> {
  await promisify(execFile)(
    process.execPath,
    [
      "--import",
      "tsx",
      "bench/console/seed.ts",
      email,
      String(o.hosts),
      String(o.instances),
      String(o.audit),
      String(o.operations ?? 0),
    ],
    { cwd: root, env: process.env, timeout: 120_000 },
  );
}
