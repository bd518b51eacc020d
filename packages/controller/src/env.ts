import { z } from "zod";

/** The TSC's environment, validated once (the only place that reads process.env). */
export const tscEnvSchema = z.object({
  TSC_OPENFLOW_PORT: z.coerce.number().int().min(1).max(65535).default(6653),
  TSC_BIND_ADDRESS: z.union([z.ipv4(), z.ipv6()]).default("127.0.0.1"),
});

export type TscEnv = z.infer<typeof tscEnvSchema>;

export function readTscEnv(env: NodeJS.ProcessEnv = process.env): TscEnv {
  return tscEnvSchema.parse({ TSC_OPENFLOW_PORT: env.TSC_OPENFLOW_PORT || undefined, TSC_BIND_ADDRESS: env.TSC_BIND_ADDRESS || undefined });
}
