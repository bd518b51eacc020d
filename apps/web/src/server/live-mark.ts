import { changeMarker } from "@nvi/core";
import { createHash } from "node:crypto";

/** The live stream's mark for one organization (lib/live-mark.ts): 16 characters of a SHA-256. */
export async function liveMark(core: Parameters<typeof changeMarker>[0]): Promise<string> {
  return createHash("sha256")
    .update(await changeMarker(core))
    .digest("base64url")
    .slice(0, 16);
}
