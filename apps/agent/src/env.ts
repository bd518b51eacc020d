import { z } from "zod";

/** The agent's configuration. It holds no database or Redis credentials, ever. */
export const AgentEnv = z
  .object({
    NVI_CONTROL_URL: z.string().url().default("http://127.0.0.1:3000"),
    NVI_BRIDGE: z.string().regex(/^[a-z0-9-]{1,15}$/, "an interface name: a-z, 0-9, -, at most 15").default("veb0"),
    NVI_DATACENTER: z.string().min(1).max(64).default("default"),
  })
  .strict();
export type AgentEnv = z.infer<typeof AgentEnv>;

/** Only NVI_* variables are the agent's; everything else in the environment is ignored. */
/** The process environment, validated; the only place the agent reads it. */
export function agentEnv(): AgentEnv {
  return parseAgentEnv(process.env);
}

export function parseAgentEnv(source: Record<string, string | undefined>): AgentEnv {
  const ours = Object.fromEntries(Object.entries(source).filter(([k]) => k.startsWith("NVI_")));
  const result = AgentEnv.safeParse(ours);
  if (!result.success) {
    throw new Error(`the agent's environment is invalid:\n${result.error.issues.map((i) => `  ${i.path.join(".") || i.message}: ${i.message}`).join("\n")}`);
  }
  return result.data;
}
