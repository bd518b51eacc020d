import { MeterBandType } from "../constants.ts";
import { OpenFlowDecodeError } from "../errors.ts";
import { readActions, writeActions } from "./actions.ts";
import { Reader, Writer } from "./bytes.ts";
import { Bucket, MeterBand } from "./messages.ts";

export function writeBuckets(w: Writer, buckets: readonly Bucket[]): void {
  for (const b of buckets) {
    const start = w.pos;
    w.u16(0);
    w.u16(b.weight);
    w.u32(b.watchPort);
    w.u32(b.watchGroup);
    w.zeros(4);
    writeActions(w, b.actions);
    w.patchU16(start, w.pos - start);
  }
}

export function readBuckets(r: Reader): Bucket[] {
  const out: Bucket[] = [];
  while (r.remaining > 0) {
    const at = r.pos;
    const len = r.u16();
    if (len < 16) throw new OpenFlowDecodeError("BAD_LENGTH", `bucket length ${len} < 16`, at);
    const b = r.sub(len - 2, "bucket");
    const weight = b.u16();
    const watchPort = b.u32();
    const watchGroup = b.u32();
    b.skip(4);
    out.push({ weight, watchPort, watchGroup, actions: readActions(b) });
  }
  return out;
}

export function writeMeterBands(w: Writer, bands: readonly MeterBand[]): void {
  for (const band of bands) {
    const code =
      band.type === "drop"
        ? MeterBandType.DROP
        : band.type === "dscpRemark"
          ? MeterBandType.DSCP_REMARK
          : MeterBandType.EXPERIMENTER;
    w.u16(code);
    w.u16(16);
    w.u32(band.rate);
    w.u32(band.burstSize);
    if (band.type === "drop") w.zeros(4);
    else if (band.type === "dscpRemark") {
      w.u8(band.precLevel);
      w.zeros(3);
    } else w.u32(band.experimenter);
  }
}

export function readMeterBands(r: Reader): MeterBand[] {
  const out: MeterBand[] = [];
  while (r.remaining > 0) {
    const at = r.pos;
    const type = r.u16();
    const len = r.u16();
    if (len !== 16) throw new OpenFlowDecodeError("BAD_LENGTH", `meter band length ${len} != 16`, at);
    const rate = r.u32();
    const burstSize = r.u32();
    if (type === MeterBandType.DROP) {
      r.skip(4);
      out.push({ type: "drop", rate, burstSize });
    } else if (type === MeterBandType.DSCP_REMARK) {
      const precLevel = r.u8();
      r.skip(3);
      out.push({ type: "dscpRemark", rate, burstSize, precLevel });
    } else if (type === MeterBandType.EXPERIMENTER) {
      out.push({ type: "experimenter", rate, burstSize, experimenter: r.u32() });
    } else {
      throw new OpenFlowDecodeError("BAD_VALUE", `meter band type ${type}`, at);
    }
  }
  return out;
}
