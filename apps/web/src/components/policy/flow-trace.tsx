"use client";

import type { TraceDto } from "@nvi/contracts";
import { formatTime } from "../ui/time.ts";

const VERDICT: Record<TraceDto["verdict"], string> = {
  delivered: "ok",
  dropped: "bad",
  "to-controller": "warn",
  unknown: "warn",
};

/** A packet traced through the VEBs' installed flows (ofproto/trace): the verdict, then each VEB's rule hits. */
export function FlowTrace({ t }: { t: TraceDto }) {
  const what = t.protocol === "icmp" ? "ping" : `${t.protocol}/${t.port}`;
  return (
    <div
      className={`alert ${VERDICT[t.verdict]}`}
      role="status"
      data-testid="trace-result"
      data-verdict={t.verdict}
      style={{ overflowWrap: "anywhere" }}
    >
      <strong>
        Traced {t.from.name} → {t.to.name ?? t.to.address} ({what}): {t.verdict}
      </strong>
      <div>{t.summary}</div>
      {t.steps.map((s) => (
        <details key={`${s.hostName}-${s.enters}`}>
          <summary>
            {s.hostName}&apos;s VEB, entering at {s.enters}: {s.verdict}{" "}
            <span className="mono muted">{s.datapathActions}</span>
          </summary>
          <ol className="mono" style={{ margin: "4px 0", paddingLeft: 20 }}>
            {s.hops.map((h, i) => (
              <li key={i}>{h}</li>
            ))}
          </ol>
        </details>
      ))}
      <div className="muted">nothing was sent: traced at {formatTime(t.tracedAt)}</div>
    </div>
  );
}
