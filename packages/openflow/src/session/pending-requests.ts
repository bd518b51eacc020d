import { MULTIPART_MORE } from "../constants.ts";
import { MessageOf, OpenFlowMessage } from "../codec/messages.ts";
import { OpenFlowSessionError } from "../errors.ts";

/** Replies the session routes to a pending request by xid. */
export const REPLY_TYPES = new Set<OpenFlowMessage["type"]>([
  "echoReply",
  "featuresReply",
  "getConfigReply",
  "barrierReply",
  "roleReply",
  "multipartReply",
]);
export const MAX_MULTIPART_PARTS = 16_384;

interface Pending {
  resolve: (m: OpenFlowMessage) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  /** Multipart replies gathered so far (flag MORE set). */
  parts?: MessageOf<"multipartReply">[];
}

/** What `settle` did with a reply. */
export type ReplyOutcome = "unsolicited" | "gathering" | "tooManyParts" | "resolved";

/**
 * Requests in flight on one session, keyed by xid: each settles with its reply (multipart parts
 * gathered until the last), rejects on timeout, on an OFPT_ERROR or when the session closes.
 */
export class PendingRequests {
  private readonly pending = new Map<number, Pending>();

  /** Track `xid`; the promise settles with its reply, or rejects with TIMEOUT after `timeoutMs`. */
  expect(xid: number, what: string, timeoutMs: number): Promise<OpenFlowMessage> {
    return new Promise<OpenFlowMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(xid);
        reject(new OpenFlowSessionError("TIMEOUT", `no reply to ${what} xid ${xid} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(xid, { resolve, reject, timer });
    });
  }

  /** Reject the request with `xid`, if still pending. */
  fail(xid: number, error: Error): void {
    const p = this.pending.get(xid);
    if (!p) return;
    this.pending.delete(xid);
    clearTimeout(p.timer);
    p.reject(error);
  }

  /** Reject every pending request, each with its own error. */
  failAll(error: () => Error): void {
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(error());
    }
    this.pending.clear();
  }

  /** Route a reply (one of REPLY_TYPES) to its request. "tooManyParts" leaves it pending: the caller closes. */
  settle(msg: OpenFlowMessage): ReplyOutcome {
    const p = this.pending.get(msg.xid);
    if (!p) return "unsolicited";
    if (msg.type === "multipartReply") {
      (p.parts ??= []).push(msg);
      if (p.parts.length > MAX_MULTIPART_PARTS) return "tooManyParts";
      if (msg.flags & MULTIPART_MORE) return "gathering";
      Object.assign(msg, { parts: p.parts });
    }
    this.pending.delete(msg.xid);
    clearTimeout(p.timer);
    p.resolve(msg);
    return "resolved";
  }
}
