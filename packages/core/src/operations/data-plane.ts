import type { VebApplied } from "@nvi/contracts";

/**
 * The operations' port to the data plane: what the worker's TSC does for instances and policy
 * (implemented with the controller's NVI mapping in the worker).
 */
/** An instance as the data plane plugs it: where it sits, and the port, MAC and addresses it is bound to. */
export interface PluggedInstance {
  id: string;
  orgId: string;
  vpcId: string;
  hostId: string;
  ofport: number;
  mac: string;
  address: string;
  gateway: string;
}

export interface DataPlane {
  plug(instance: PluggedInstance): Promise<string>;
  unplug(instanceId: string): Promise<void>;
  /**
   * re-read this organization's policy and bring every VEB in line with it (a worker without a TSC
   * has none); one application per `operationId` (the fast path and the job share it)
   */
  applyPolicy?(orgId: string, operationId?: string): Promise<VebApplied[]>;
  /** read every VEB's pair flows back and delete what policy no longer implies (after `applyPolicy`) */
  readBack?(): Promise<void>;
  /**
   * The VEBs plugging this instance programs (its host's, and its VPC peers' hosts') that are not
   * connected to the TSC now, by host name: a plug is confirmed (a barrier reply from each) only
   * once this is empty. Null when this data plane has no TSC to ask (a jobs-only worker).
   */
  vebsAway?(instance: { hostId: string; vpcId: string }): Promise<string[] | null>;
}

export interface ExecutorOptions {
  /** how long to wait for the agent to answer a command (default 120 s) */
  commandTimeoutMs?: number;
  /** how long the TSC step waits for the VEBs it programs to connect before it fails (default 60 s) */
  vebDeadlineMs?: number;
  /**
   * how long a wait for someone else (an agent's answer, a VEB) polls in the worker's slot before it
   * parks (`OperationParked`: the worker delays the job and gives the slot back; the wait resumes with
   * the same deadline). Unset: the wait stays in place (a caller with no job to delay).
   */
  parkAfterMs?: number;
}

export const failed = (e: unknown): string => (e instanceof Error ? e.message : String(e));
