import { HostFacts, type InstanceSpec } from "@nvi/contracts";

/** The agent tests' instance: `inst_1` ("a") at 10.0.0.2/24 behind 10.0.0.1, netns unless `over` says otherwise. */
export function instanceSpec(over: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    instanceId: "inst_1",
    name: "a",
    runtime: "netns",
    image: null,
    command: null,
    cpus: 1,
    memoryMiB: 64,
    mac: "0a:00:00:00:00:01",
    address: "10.0.0.2",
    prefixLen: 24,
    gateway: "10.0.0.1",
    ...over,
  };
}

/** What a plain agent reports about its host (netns only, no fabric yet). */
export function hostFacts(over: Partial<HostFacts> = {}): HostFacts {
  return HostFacts.parse({
    hostname: "h1",
    kernel: "6.1.0",
    cpus: 2,
    memoryMiB: 2048,
    ovsVersion: "3.1.0",
    runtimes: { docker: false, qemu: false, netns: true },
    ...over,
  });
}
