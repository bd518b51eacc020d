import { installScriptResponse } from "@nvi/api";
import { agentDownloads } from "../../server/agent-package.ts";

export const dynamic = "force-dynamic";

/** `curl -fsSL <PUBLIC_URL>/install.sh | sudo sh -s -- 'nvj_…'`: public, like the join string it is run with. */
export function GET(): Promise<Response> {
  return installScriptResponse(agentDownloads());
}
