import { OFP_HEADER_LEN, OFP_MAX_MESSAGE_LEN } from "../constants.ts";
import { OpenFlowDecodeError } from "../errors.ts";

/**
 * Splits a TCP byte stream into whole OpenFlow messages. Holds at most one partial message
 * (≤ the cap), so a peer cannot make us buffer more than `maxLength` bytes.
 */
export class Framer {
  private pending: Buffer | null = null;

  constructor(private readonly maxLength = OFP_MAX_MESSAGE_LEN) {}

  /** Calls `onMessage` for each complete message in `chunk`; throws OpenFlowDecodeError on a bad length. */
  push(chunk: Buffer, onMessage: (frame: Buffer) => void): void {
    let buf = chunk;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let off = 0;
    while (buf.length - off >= OFP_HEADER_LEN) {
      const len = buf.readUInt16BE(off + 2);
      if (len < OFP_HEADER_LEN)
        throw new OpenFlowDecodeError("BAD_LENGTH", `message length ${len} < ${OFP_HEADER_LEN}`, off);
      if (len > this.maxLength)
        throw new OpenFlowDecodeError("TOO_LONG", `message length ${len} exceeds cap ${this.maxLength}`, off);
      if (buf.length - off < len) break;
      onMessage(buf.subarray(off, off + len));
      off += len;
    }
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
  }

  get buffered(): number {
    return this.pending?.length ?? 0;
  }
}
