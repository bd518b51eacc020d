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
  PUBLIC_URL: z.string().url().default("http://127.0.0.1:3000"),
  /** BullMQ key prefix; must match the worker's QUEUE_PREFIX (the e2e suite uses its own). */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9-]{1,40}$/)
    .optional(),
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
