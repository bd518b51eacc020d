import { OpenFlowDecodeError } from "../errors.ts";
import { Action, readActions, writeActions } from "./actions.ts";
import { checkUint, Reader, Writer } from "./bytes.ts";

export type Instruction =
  | { type: "gotoTable"; tableId: number }
  | { type: "writeMetadata"; metadata: bigint; mask: bigint }
  | { type: "writeActions"; actions: Action[] }
  | { type: "applyActions"; actions: Action[] }
  | { type: "clearActions" }
  | { type: "meter"; meterId: number }
  | { type: "unknownInstruction"; instructionType: number; data: Uint8Array };

const IT = {
  GOTO_TABLE: 1,
  WRITE_METADATA: 2,
  WRITE_ACTIONS: 3,
  APPLY_ACTIONS: 4,
  CLEAR_ACTIONS: 5,
  METER: 6,
} as const;

export function writeInstruction(w: Writer, ins: Instruction): void {
  const start = w.pos;
  switch (ins.type) {
    case "gotoTable":
      checkUint(ins.tableId, 8, "goto table");
      w.u16(IT.GOTO_TABLE);
      w.u16(8);
      w.u8(ins.tableId);
      w.zeros(3);
      return;
    case "writeMetadata":
      w.u16(IT.WRITE_METADATA);
      w.u16(24);
      w.zeros(4);
      w.u64(ins.metadata);
      w.u64(ins.mask);
      return;
    case "writeActions":
    case "applyActions":
      w.u16(ins.type === "writeActions" ? IT.WRITE_ACTIONS : IT.APPLY_ACTIONS);
      w.u16(0);
      w.zeros(4);
      writeActions(w, ins.actions);
      break;
    case "clearActions":
      w.u16(IT.CLEAR_ACTIONS);
      w.u16(8);
      w.zeros(4);
      return;
    case "meter":
      w.u16(IT.METER);
      w.u16(8);
      w.u32(ins.meterId);
      return;
    case "unknownInstruction":
      w.u16(ins.instructionType);
      w.u16(0);
      w.bytes(ins.data);
      break;
  }
  w.pad8(start);
  w.patchU16(start + 2, w.pos - start);
}

export function writeInstructions(w: Writer, list: readonly Instruction[]): void {
  for (const ins of list) writeInstruction(w, ins);
}

function fixed(len: number, want: number, what: string, at: number): void {
  if (len !== want) throw new OpenFlowDecodeError("BAD_LENGTH", `${what} instruction length ${len} != ${want}`, at);
}

export function readInstruction(r: Reader): Instruction {
  const at = r.pos;
  const type = r.u16();
  const len = r.u16();
  if (len < 8 || len % 8 !== 0)
    throw new OpenFlowDecodeError("BAD_LENGTH", `instruction length ${len} is not a positive multiple of 8`, at);
  const body = r.sub(len - 4, "instruction");
  switch (type) {
    case IT.GOTO_TABLE:
      fixed(len, 8, "goto_table", at);
      return { type: "gotoTable", tableId: body.u8() };
    case IT.WRITE_METADATA: {
      fixed(len, 24, "write_metadata", at);
      body.skip(4);
      return { type: "writeMetadata", metadata: body.u64(), mask: body.u64() };
    }
    case IT.WRITE_ACTIONS:
    case IT.APPLY_ACTIONS:
      body.skip(4);
      return { type: type === IT.WRITE_ACTIONS ? "writeActions" : "applyActions", actions: readActions(body) };
    case IT.CLEAR_ACTIONS:
      fixed(len, 8, "clear_actions", at);
      return { type: "clearActions" };
    case IT.METER:
      fixed(len, 8, "meter", at);
      return { type: "meter", meterId: body.u32() };
    default:
      return { type: "unknownInstruction", instructionType: type, data: body.bytesView(body.remaining) };
  }
}

export function readInstructions(r: Reader): Instruction[] {
  const out: Instruction[] = [];
  while (r.remaining > 0) out.push(readInstruction(r));
  return out;
}
