import { Action, readActions, writeActions } from "./actions.ts";
import { checkUint, Reader, Writer } from "./bytes.ts";
import { readTlv, writeTlv } from "./tlv.ts";

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
  switch (ins.type) {
    case "gotoTable":
      checkUint(ins.tableId, 8, "goto table");
      return writeTlv(w, IT.GOTO_TABLE, () => w.u8(ins.tableId));
    case "writeMetadata":
      return writeTlv(w, IT.WRITE_METADATA, () => {
        w.zeros(4);
        w.u64(ins.metadata);
        w.u64(ins.mask);
      });
    case "writeActions":
    case "applyActions":
      return writeTlv(w, ins.type === "writeActions" ? IT.WRITE_ACTIONS : IT.APPLY_ACTIONS, () => {
        w.zeros(4);
        writeActions(w, ins.actions);
      });
    case "clearActions":
      return writeTlv(w, IT.CLEAR_ACTIONS, () => w.zeros(4));
    case "meter":
      return writeTlv(w, IT.METER, () => w.u32(ins.meterId));
    case "unknownInstruction":
      return writeTlv(w, ins.instructionType, () => w.bytes(ins.data));
  }
}

export function writeInstructions(w: Writer, list: readonly Instruction[]): void {
  for (const ins of list) writeInstruction(w, ins);
}

export function readInstruction(r: Reader): Instruction {
  const { type, body, fixed } = readTlv(r, "instruction");
  switch (type) {
    case IT.GOTO_TABLE:
      fixed(8, "goto_table");
      return { type: "gotoTable", tableId: body.u8() };
    case IT.WRITE_METADATA: {
      fixed(24, "write_metadata");
      body.skip(4);
      return { type: "writeMetadata", metadata: body.u64(), mask: body.u64() };
    }
    case IT.WRITE_ACTIONS:
    case IT.APPLY_ACTIONS:
      body.skip(4);
      return { type: type === IT.WRITE_ACTIONS ? "writeActions" : "applyActions", actions: readActions(body) };
    case IT.CLEAR_ACTIONS:
      fixed(8, "clear_actions");
      return { type: "clearActions" };
    case IT.METER:
      fixed(8, "meter");
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
