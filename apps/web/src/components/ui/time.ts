/**
 * How the console writes times: one place, so every table reads the same. Local time of the
 * viewer's browser, 24-hour, year first (`2026-12-05 07:43`); "—" when there is no time.
 */
type When = string | number | Date | null | undefined;

const pad = (n: number) => String(n).padStart(2, "0");

function dateOf(when: When): Date | null {
  if (when === null || when === undefined || when === "") return null;
  const d = when instanceof Date ? when : new Date(when);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** `2026-12-05` */
export function formatDate(when: When): string {
  const d = dateOf(when);
  return d ? `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` : "—";
}

/** `07:43:46` */
export function formatTime(when: When): string {
  const d = dateOf(when);
  return d ? `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` : "—";
}

/** `2026-12-05 07:43:46` */
export function formatDateTime(when: When): string {
  const d = dateOf(when);
  return d ? `${formatDate(d)} ${formatTime(d)}` : "—";
}

/** Seconds between two times with one decimal (`1.4 s`), never negative; "—" when either is missing. */
export function formatDuration(from: When, to: When): string {
  const a = dateOf(from);
  const b = dateOf(to);
  if (!a || !b) return "—";
  return `${Math.max(0, Math.round((b.getTime() - a.getTime()) / 100) / 10)} s`;
}

/** `5 s ago`, `3 min ago`, `2 h ago`, then the date and time. */
export function formatAgo(when: When, now: Date = new Date()): string {
  const d = dateOf(when);
  if (!d) return "—";
  const s = Math.max(0, Math.round((now.getTime() - d.getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return formatDateTime(d);
}

/** `2026-12-05 07:43:46` in UTC whatever the viewer's zone (the audit log, whose filters are UTC days). */
export function formatUtc(when: When): string {
  const d = dateOf(when);
  return d ? d.toISOString().replace("T", " ").slice(0, 19) : "—";
}
