import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { imageDirEnv } from "./env.ts";
import { ROOT } from "./stack.ts";

/** The Debian 12 cloud image the VM tests boot, and where the agents find it. */
export const DEBIAN_GUEST = "nvi-debian12";
export const imageDir = imageDirEnv().imageDir;

/**
 * Builds the image unless it is current (infra/images/build-debian.sh: about 0.1 s when cached, up
 * to 20 minutes on a new machine). Called from each VM suite's `beforeAll`, so none of them skips or
 * depends on which ran first; the script's own lock makes concurrent calls wait for one build.
 */
export async function ensureDebianImage(): Promise<void> {
  await promisify(execFile)(path.join(ROOT, "infra/images/build-debian.sh"), [DEBIAN_GUEST], {
    timeout: 1_200_000,
    env: { ...imageDirEnv().inherited, NVI_IMAGE_DIR: imageDir },
  });
}

/** `beforeAll` timeout for a suite that may build the image first. */
export const IMAGE_BUILD_HOOK_MS = 1_500_000;
