import { OFP_MAX_MESSAGE_LEN } from "../constants.ts";
import { SessionOptions } from "./types.ts";

/** Session options with every default filled in (the logger and tap stay optional). */
export type ResolvedSessionOptions = Required<Omit<SessionOptions, "logger" | "tap">>;

/** The defaults documented on SessionOptions, in one place. */
export function resolveSessionOptions(options: SessionOptions): ResolvedSessionOptions {
  const echo = options.echoIntervalMs ?? 5000;
  return {
    echoIntervalMs: echo,
    deadPeerMs: options.deadPeerMs ?? echo * 3,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    maxMessageLength: Math.min(options.maxMessageLength ?? OFP_MAX_MESSAGE_LEN, OFP_MAX_MESSAGE_LEN),
    maxPendingWriteBytes: options.maxPendingWriteBytes ?? 32 * 1024 * 1024,
    missSendLen: options.missSendLen ?? 0xffff,
  };
}
