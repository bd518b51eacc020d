import { parseInstancePool } from "@nvi/core";
import { z } from "zod";

/**
 * The console's whole configuration, validated once. Read lazily so `next build`
 * works without a database; the first request with a bad env gets a clear error.
 */
export const WebEnv = z.object({
  DATABASE_URL: z.string().url().startsWith("postgres", "must be a postgresql:// URL"),
  REDIS_URL: z.string().url().startsWith("redis", "must be a redis:// URL").default("redis://127.0.0.1:6379"),
  AUTH_SECRET: z.string().min(32, "must be at least 32 characters (scripts/up.sh generates one)"),
  /** The secret the fabric CA's key is encrypted under (OpenFlow mutual TLS); default AUTH_SECRET. The worker needs the same one. */
  FABRIC_CA_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  /** The key tenants' secrets (containers' environments, registry passwords) are sealed under; default AUTH_SECRET. The worker needs the same one. */
  NVI_SECRETS_KEY: z.string().min(32, "must be at least 32 characters").optional(),
  PUBLIC_URL: z.string().url().default("http://127.0.0.1:3000"),
  /** BullMQ key prefix; must match the worker's QUEUE_PREFIX (the e2e suite uses its own). */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9-]{1,40}$/)
    .optional(),
  /** Where the agent's .deb and install.sh are (infra/package/build-deb.sh writes them); served at /downloads and /install.sh. */
  NVI_PACKAGE_DIR: z.string().startsWith("/", "an absolute path").optional(),
  /** The TSC's OpenFlow target hosts dial (`ssl:HOST:PORT`), written by install.sh; default `ssl:<PUBLIC_URL's host>:6653`. */
  NVI_CONTROLLER_TARGET: z
    .string()
    .regex(/^(tcp|ssl):[A-Za-z0-9.-]+:\d{1,5}$/, "ssl:HOST:PORT")
    .optional(),
  /** Where hosts that claim no instance block get one (a /24 each): default 100.96.0.0/11; the underlay routes each block to its host. */
  NVI_INSTANCE_POOL: z
    .string()
    .refine((v) => !("message" in parseInstancePool(v)), {
      error: (i) => {
        const r = parseInstancePool(String(i.input));
        return "message" in r ? r.message.replace(/^NVI_INSTANCE_POOL: /, "") : "invalid";
      },
    })
    .optional(),
  /** Hosts one organization may enroll (default 256): one tenant cannot take what every tenant shares. */
  NVI_ORG_HOST_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(256),
  /** /24s of NVI_INSTANCE_POOL one organization's hosts may hold, assigned or claimed by hand (default 256). */
  NVI_ORG_POOL_BLOCK_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(256),
  /** Accounts one client address may create per minute (default 10): argon2 and a new organization each. */
  NVI_SIGNUPS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
});
export type WebEnv = z.infer<typeof WebEnv>;

let cached: WebEnv | undefined;

export function parseWebEnv(source: Record<string, string | undefined>): WebEnv {
  const result = WebEnv.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new Error(`the console's environment is invalid:\n${problems}`);
  }
  return result.data;
}

export function webEnv(): WebEnv {
  return (cached ??= parseWebEnv(process.env));
}
