/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-member-access -- REST answers are JSON, checked by the assertions */
import { readFile, stat } from "node:fs/promises";
import { run, vsctl, type HostState } from "@nvi/lab";
import { expect } from "vitest";
import type { Journey } from "./journey.ts";

const presence = (p: Promise<unknown>) =>
  p.then(
    () => "present",
    () => "gone",
  );

/**
 * Terminates a VM through the API and checks it left nothing on its host: no QEMU, no tap, no VEB
 * port, no directory (definition, console, overlay, seed).
 */
export async function terminateVmLeavingNothing(
  j: Journey,
  host: HostState,
  instanceId: string,
  vmDir: string,
): Promise<void> {
  const pid = Number((await readFile(`${vmDir}/qemu.pid`, "utf8")).trim());
  const tap = `nv${instanceId.slice(-10)}`;
  const r = await j.stack.call("DELETE", `/instances/${instanceId}`);
  const gone = await j.finished(r.body.operationId);
  expect(gone.status, gone.error).toBe("succeeded");
  expect(await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).not.toContain(instanceId);
  expect(await presence(run("ip", ["-n", host.ns, "link", "show", tap]))).toBe("gone");
  expect(await vsctl(host.ovsDir, "list-ports", host.bridge)).not.toContain(tap);
  expect(await presence(stat(vmDir))).toBe("gone");
}
