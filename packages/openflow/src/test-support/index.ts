/** Test helpers for packages that build on @nvi/openflow (not part of the runtime API). */
export { requireOvsBinaries, run, startOvsLab } from "./ovs-lab.ts";
export type { LabHost, OvsLab } from "./ovs-lab.ts";
export { FakeSwitch } from "./fake-switch.ts";
