import { FlowModCommand } from "../constants.ts";
import { OpenFlowEncodeError } from "../errors.ts";
import { writeActions } from "./actions.ts";
import { checkUint, Writer } from "./bytes.ts";
import { writeBuckets, writeMeterBands } from "./group-meter.ts";
import { writeInstructions } from "./instructions.ts";
import { FlowModCommandName, OpenFlowMessage } from "./messages.ts";
import { multipartTypeOf, writeMultipartReplyBody, writeMultipartRequestBody, writePort } from "./multipart.ts";
import { writeMatch } from "./oxm.ts";

const COMMAND_CODE: Record<FlowModCommandName, number> = {
  add: FlowModCommand.ADD,
  modify: FlowModCommand.MODIFY,
  modifyStrict: FlowModCommand.MODIFY_STRICT,
  delete: FlowModCommand.DELETE,
  deleteStrict: FlowModCommand.DELETE_STRICT,
};

/** Write the body of `m` (everything after the 8-byte header). */
export function writeBody(w: Writer, m: OpenFlowMessage): void {
  switch (m.type) {
    case "hello":
      if (m.versions) {
        let bitmap = 0;
        for (const v of m.versions) {
          if (!Number.isInteger(v) || v < 0 || v > 31)
            throw new OpenFlowEncodeError(`hello version ${v} outside one 32-bit bitmap`);
          bitmap |= 1 << v;
        }
        w.u16(1);
        w.u16(8);
        w.u32(bitmap >>> 0);
      }
      return;
    case "error":
      w.u16(m.errorType);
      w.u16(m.code);
      w.bytes(m.data);
      return;
    case "echoRequest":
    case "echoReply":
      w.bytes(m.data);
      return;
    case "experimenter":
      w.u32(m.experimenter);
      w.u32(m.expType);
      w.bytes(m.data);
      return;
    case "featuresRequest":
    case "getConfigRequest":
    case "barrierRequest":
    case "barrierReply":
      return;
    case "featuresReply":
      w.u64(m.datapathId);
      w.u32(m.nBuffers);
      w.u8(m.nTables);
      w.u8(m.auxiliaryId);
      w.zeros(2);
      w.u32(m.capabilities);
      w.u32(0);
      return;
    case "getConfigReply":
    case "setConfig":
      w.u16(m.flags);
      w.u16(m.missSendLen);
      return;
    case "packetIn":
      checkUint(m.totalLen, 16, "totalLen");
      w.u32(m.bufferId);
      w.u16(m.totalLen);
      w.u8(m.reason);
      w.u8(m.tableId);
      w.u64(m.cookie);
      writeMatch(w, m.match);
      w.zeros(2);
      w.bytes(m.data);
      return;
    case "flowRemoved":
      w.u64(m.cookie);
      w.u16(m.priority);
      w.u8(m.reason);
      w.u8(m.tableId);
      w.u32(m.durationSec);
      w.u32(m.durationNsec);
      w.u16(m.idleTimeout);
      w.u16(m.hardTimeout);
      w.u64(m.packetCount);
      w.u64(m.byteCount);
      writeMatch(w, m.match);
      return;
    case "portStatus":
      w.u8(m.reason);
      w.zeros(7);
      writePort(w, m.port);
      return;
    case "packetOut": {
      w.u32(m.bufferId);
      w.u32(m.inPort);
      const lenAt = w.pos;
      w.u16(0);
      w.zeros(6);
      writeActions(w, m.actions);
      w.patchU16(lenAt, w.pos - lenAt - 8);
      w.bytes(m.data);
      return;
    }
    case "flowMod":
      checkUint(m.tableId, 8, "tableId");
      checkUint(m.priority, 16, "priority");
      checkUint(m.idleTimeout, 16, "idleTimeout");
      checkUint(m.hardTimeout, 16, "hardTimeout");
      w.u64(m.cookie);
      w.u64(m.cookieMask);
      w.u8(m.tableId);
      w.u8(COMMAND_CODE[m.command]);
      w.u16(m.idleTimeout);
      w.u16(m.hardTimeout);
      w.u16(m.priority);
      w.u32(m.bufferId);
      w.u32(m.outPort);
      w.u32(m.outGroup);
      w.u16(m.flags);
      w.zeros(2);
      writeMatch(w, m.match);
      writeInstructions(w, m.instructions);
      return;
    case "groupMod":
      w.u16(m.command);
      w.u8(m.groupType);
      w.zeros(1);
      w.u32(m.groupId);
      writeBuckets(w, m.buckets);
      return;
    case "meterMod":
      w.u16(m.command);
      w.u16(m.flags);
      w.u32(m.meterId);
      writeMeterBands(w, m.bands);
      return;
    case "multipartRequest":
      w.u16(multipartTypeOf(m.body));
      w.u16(m.flags);
      w.zeros(4);
      writeMultipartRequestBody(w, m.body);
      return;
    case "multipartReply":
      w.u16(multipartTypeOf(m.body));
      w.u16(m.flags);
      w.zeros(4);
      writeMultipartReplyBody(w, m.body);
      return;
    case "roleRequest":
    case "roleReply":
      w.u32(m.role);
      w.zeros(4);
      w.u64(m.generationId);
      return;
    case "unsupported":
      w.bytes(m.body);
      return;
  }
}
