import path from "node:path";
import { expect } from "vitest";
import { startDockerd, type Dockerd } from "./dockerd.ts";
import { startJourney, type Journey, type JourneyOptions } from "./journey.ts";

/**
 * The journey the instance suites (`instances*.integration.test.ts`) each bring up for themselves: a
 * VPC 10.40.0.0/16 with a subnet per datacenter (10.40.1.0/24 in dc1, 10.40.2.0/24 in dc2). With
 * `docker`, a private `dockerd` (its `DOCKER_HOST` given to every agent) for Docker instances.
 */
export interface InstancesJourney {
  j: Journey;
  /** set with `docker: true` */
  dockerd: Dockerd | undefined;
  /** Stops the dockerd and closes the journey (lab, stack, this organization's rows). */
  close(): Promise<void>;
}

export async function startInstancesJourney(o: { docker?: boolean } = {}): Promise<InstancesJourney> {
  let dockerd: Dockerd | undefined;
  try {
    const options: JourneyOptions = {
      vpcCidr: "10.40.0.0/16",
      subnetCidrs: { dc1: "10.40.1.0/24", dc2: "10.40.2.0/24" },
    };
    if (o.docker)
      options.agentEnv = async (l) => {
        dockerd = await startDockerd(path.join(l.runDir, "docker"));
        return { DOCKER_HOST: dockerd.host };
      };
    const j = await startJourney(options);
    return {
      j,
      dockerd,
      async close() {
        await dockerd?.stop();
        await j.close();
      },
    };
  } catch (e) {
    await dockerd?.stop();
    throw e;
  }
}

/**
 * Launches netns instances (name → subnet, in order) and waits until each launch succeeded: the
 * instances a suite's steps expect to find already running.
 */
export async function launchRunning(j: Journey, instances: [name: string, subnet: string][]): Promise<void> {
  for (const [name, subnet] of instances) {
    const l = await j.launch(name, subnet);
    const op = (await j.finished(l.operationId)) as { status: string; error?: string };
    expect(op.status, op.error).toBe("succeeded");
  }
}
