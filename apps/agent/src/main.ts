import { agentEnv } from "./env.ts";
import { readHostFacts } from "./host-facts.ts";

/**
 * The host agent. This build reads its configuration and the host's facts, logs
 * them and stays up; enrollment, the VEB bridge and instance plumbing arrive with
 * the data-path work (see apps/agent/README.md).
 */
const env = agentEnv();
const facts = await readHostFacts();
console.log(JSON.stringify({ at: new Date().toISOString(), level: "info", msg: "agent started", controlUrl: env.NVI_CONTROL_URL, bridge: env.NVI_BRIDGE, datacenter: env.NVI_DATACENTER, facts }));

const keepAlive = setInterval(() => undefined, 60_000);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    clearInterval(keepAlive);
    console.log(JSON.stringify({ at: new Date().toISOString(), level: "info", msg: "agent stopping", signal }));
    process.exit(0);
  });
}
