import type { VebApplied } from "@nvi/contracts";

/**
 * The operations' port to the data plane: what the worker's TSC does for instances and policy
 * (implemented with the controller's NVI mapping in the worker).
 */
export interface DataPlane {
  plug(instance: {
    id: string;
    orgId: string;
    vpcId: string;
    hostId: string;
    ofport: number;
    mac: string;
    address: string;
    gateway: string;
  }): Promise<string>;
  unplug(instanceId: string): Promise<void>;
  /** re-read the policy and bring every VEB in line with it (a worker without a TSC has none) */
  applyPolicy?(orgId: string): Promise<VebApplied[]>;
}

export interface ExecutorOptions {
  /** how long to wait for the agent to answer a command (default 120 s) */
  commandTimeoutMs?: number;
}

export const failed = (e: unknown): string => (e instanceof Error ? e.message : String(e));
