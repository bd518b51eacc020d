import type { MessageOf, SwitchSession } from "@nvi/openflow";

/**
 * What the TSC tells an application. Every callback is optional; a callback that throws or
 * rejects is logged and never takes the controller (or other switches) down.
 */
export interface ControllerApp {
  /** The switch finished its handshake and its desired state was reinstalled. */
  onSwitchReady?(sw: SwitchSession): void | Promise<void>;
  onSwitchGone?(datapathId: bigint, reason: string): void;
  onPacketIn?(sw: SwitchSession, msg: MessageOf<"packetIn">): void | Promise<void>;
  onFlowRemoved?(sw: SwitchSession, msg: MessageOf<"flowRemoved">): void;
  onPortStatus?(sw: SwitchSession, msg: MessageOf<"portStatus">): void;
  onSwitchError?(sw: SwitchSession, msg: MessageOf<"error">): void;
}
