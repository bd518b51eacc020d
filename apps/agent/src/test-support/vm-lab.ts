import path from "node:path";
import type { QemuConfig } from "../runtimes/qemu.ts";

/** The QEMU config (TCG) of a lab host's VMs: guests from NVI_IMAGE_DIR, VM directories under the lab's run dir. */
export const labVmConfig = (runDir: string): QemuConfig => ({
  imageDir: process.env.NVI_IMAGE_DIR ?? "/var/lib/nvi/images",
  vmDir: path.join(runDir, "vms"),
  accel: "tcg",
});
