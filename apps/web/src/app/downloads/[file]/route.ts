import { packageResponse } from "@nvi/api";
import { agentDownloads } from "../../../server/agent-package.ts";

export const dynamic = "force-dynamic";

/** The agent's .deb (install.sh downloads it); public: it holds no secret. */
export async function GET(_req: Request, { params }: { params: Promise<{ file: string }> }): Promise<Response> {
  return packageResponse(agentDownloads().packageDir, (await params).file);
}
