import { OpenFlowDecodeError } from "../errors.ts";
import type { Reader, Writer } from "./bytes.ts";

/*
 * Actions and instructions share one wire shape: a u16 type, a u16 length covering the whole
 * element, the body, zero padding to a multiple of 8. Written and read here once.
 */

/** Writes one element: its type, then `body`, then the padding; the length is patched in last. */
export function writeTlv(w: Writer, type: number, body: () => void): void {
  const start = w.pos;
  w.u16(type);
  w.u16(0);
  body();
  w.pad8(start);
  w.patchU16(start + 2, w.pos - start);
}

export interface Tlv {
  /** where the element starts, for errors */
  at: number;
  type: number;
  len: number;
  /** a reader over what follows the type and length */
  body: Reader;
  /** refuses the element unless its length is `want` (the kinds of fixed size) */
  fixed: (want: number, name: string) => void;
}

/** Reads one element's header; `kind` ("action", "instruction") names it in errors. */
export function readTlv(r: Reader, kind: string): Tlv {
  const at = r.pos;
  const type = r.u16();
  const len = r.u16();
  if (len < 8 || len % 8 !== 0)
    throw new OpenFlowDecodeError("BAD_LENGTH", `${kind} length ${len} is not a positive multiple of 8`, at);
  const body = r.sub(len - 4, kind);
  const fixed = (want: number, name: string): void => {
    if (len !== want) throw new OpenFlowDecodeError("BAD_LENGTH", `${name} ${kind} length ${len} != ${want}`, at);
  };
  return { at, type, len, body, fixed };
}
