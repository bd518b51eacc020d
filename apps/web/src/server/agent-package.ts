import path from "node:path";
import type { AgentDownloads } from "@nvi/api";
import { webEnv } from "../env.ts";

/**
 * Where the console finds what hosts download (install.sh, the agent's .deb): NVI_PACKAGE_DIR, or
 * the checkout's dist/ where infra/package/build-deb.sh writes them.
 */
export function agentDownloads(): AgentDownloads {
  const env = webEnv();
  const cwd = process.cwd();
  return {
    packageDir:
      env.NVI_PACKAGE_DIR ?? path.resolve(cwd, cwd.endsWith(path.join("apps", "web")) ? "../../dist" : "dist"),
    publicUrl: env.PUBLIC_URL,
    controller: env.NVI_CONTROLLER_TARGET,
  };
}
