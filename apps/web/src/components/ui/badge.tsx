import type { ReactNode } from "react";

export type Tone = "ok" | "warn" | "bad" | "muted" | "";

/** A small status pill; the tone colours it. */
export function Badge({
  tone = "",
  title,
  children,
}: {
  tone?: Tone | undefined;
  title?: string;
  children: ReactNode;
}) {
  return (
    <span className={tone ? `badge ${tone}` : "badge"} title={title}>
      {children}
    </span>
  );
}
