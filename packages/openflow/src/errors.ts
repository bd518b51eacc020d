/** The only exception the decoder ever throws: the bytes are not a valid OpenFlow 1.3 message. */
export class OpenFlowDecodeError extends Error {
  override readonly name = "OpenFlowDecodeError";
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
    /** Byte offset inside the message where decoding failed, when known. */
    readonly offset?: number,
  ) {
    super(message);
  }
}

export type DecodeErrorCode = "TRUNCATED" | "BAD_LENGTH" | "BAD_VERSION" | "TOO_LONG" | "BAD_VALUE" | "INTERNAL";

/** The encoder refuses a message it cannot put on the wire (a value out of range, a message over 64 KiB). */
export class OpenFlowEncodeError extends Error {
  override readonly name = "OpenFlowEncodeError";
}

/** A request the switch answered with OFPT_ERROR. */
export class OpenFlowRequestError extends Error {
  override readonly name = "OpenFlowRequestError";
  constructor(
    readonly errorType: number,
    readonly errorCode: number,
    readonly xid: number,
  ) {
    super(`switch answered xid ${xid} with OFPT_ERROR type=${errorType} code=${errorCode}`);
  }
}

/** The session ended (closed, timed out, dead peer) before a request got its reply. */
export class OpenFlowSessionError extends Error {
  override readonly name = "OpenFlowSessionError";
  constructor(
    readonly code: "CLOSED" | "TIMEOUT" | "BACKPRESSURE",
    message: string,
  ) {
    super(message);
  }
}
