import { MessageOf, PortDesc } from "../codec/messages.ts";

export interface OpenFlowLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: OpenFlowLogger = { info: () => undefined, warn: () => undefined };

export interface SessionOptions {
  /** Send ECHO_REQUEST after this much silence from the switch (default 5 s). */
  echoIntervalMs?: number;
  /** Declare the peer dead after this much silence (default 3 × echoIntervalMs). */
  deadPeerMs?: number;
  /** HELLO + FEATURES + PORT_DESC must finish within this (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Default timeout for request → reply (default 10 s). */
  requestTimeoutMs?: number;
  /** Cap on one incoming message (default and maximum 65535). */
  maxMessageLength?: number;
  /** Close a switch whose socket will not drain once this many bytes wait to be written (default 32 MiB). */
  maxPendingWriteBytes?: number;
  /** miss_send_len sent in SET_CONFIG after the handshake (default 0xffff: whole packet, no buffering). */
  missSendLen?: number;
  logger?: OpenFlowLogger;
  /** Sees every whole incoming frame before decoding (captures, debugging). */
  tap?: (frame: Buffer) => void;
}

export type SessionState = "handshaking" | "ready" | "closed";

export interface SwitchFeatures {
  datapathId: bigint;
  nBuffers: number;
  nTables: number;
  auxiliaryId: number;
  capabilities: number;
}

/** Messages a switch sends on its own (not replies). */
export type AsyncMessage =
  | MessageOf<"packetIn">
  | MessageOf<"flowRemoved">
  | MessageOf<"portStatus">
  | MessageOf<"error">
  | MessageOf<"experimenter">;

export interface SessionEvents {
  ready: () => void;
  message: (msg: AsyncMessage) => void;
  portsChanged: (ports: ReadonlyMap<number, PortDesc>) => void;
  close: (reason: string) => void;
}
