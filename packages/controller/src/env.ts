import { z } from "zod";

/** The TSC's environment, validated once (the only place that reads process.env). */
export const tscEnvSchema = z
  .object({
    TSC_OPENFLOW_PORT: z.coerce.number().int().min(1).max(65535).default(6653),
    TSC_BIND_ADDRESS: z.union([z.ipv4(), z.ipv6()]).default("127.0.0.1"),
    /** Mutual TLS (the default): PEM files of the TSC's key and certificate and of the CA switches' certificates chain to. */
    TSC_TLS_KEY_FILE: z.string().min(1).optional(),
    TSC_TLS_CERT_FILE: z.string().min(1).optional(),
    TSC_TLS_CA_FILE: z.string().min(1).optional(),
    /** 1 = plain TCP, switches unauthenticated (development only; logged loudly). */
    TSC_INSECURE_TCP: z.enum(["0", "1"]).default("0"),
  })
  .refine((e) => e.TSC_INSECURE_TCP === "1" || (e.TSC_TLS_KEY_FILE && e.TSC_TLS_CERT_FILE && e.TSC_TLS_CA_FILE), {
    message:
      "the TSC listens with mutual TLS: set TSC_TLS_KEY_FILE, TSC_TLS_CERT_FILE and TSC_TLS_CA_FILE (or TSC_INSECURE_TCP=1 for development)",
  });

export type TscEnv = z.infer<typeof tscEnvSchema>;

export function readTscEnv(env: NodeJS.ProcessEnv = process.env): TscEnv {
  const pick = (k: string) => env[k] || undefined;
  return tscEnvSchema.parse(
    Object.fromEntries(
      [
        "TSC_OPENFLOW_PORT",
        "TSC_BIND_ADDRESS",
        "TSC_TLS_KEY_FILE",
        "TSC_TLS_CERT_FILE",
        "TSC_TLS_CA_FILE",
        "TSC_INSECURE_TCP",
      ].map((k) => [k, pick(k)]),
    ),
  );
}
