/** Test helpers for the controller and its embedders (not part of the runtime API). */
export { compileSwitchFlows } from "./compiler.ts";
export type { Clock, DesiredSwitchState, Endpoint, PortBlock } from "./compiler.ts";
export { l2LearningApp } from "./l2-learning-app.ts";
export { MemorySwitches } from "./memory-switches.ts";
export type { PacketInHandler } from "./memory-switches.ts";
export { frameOf, packetOf } from "./frames.ts";
