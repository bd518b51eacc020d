import { LabelKey, LabelValue } from "@nvi/contracts";

/** Labels as one line of text (`tier=web, env=prod`) in the console's forms and tables. */
export function formatLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => (v === "" ? k : `${k}=${v}`))
    .join(", ");
}

export type ParsedLabels = { ok: true; labels: Record<string, string> } | { ok: false; error: string };

/**
 * Parses `tier=web, env=prod` (a bare `key` means an empty value) into labels, checking keys and
 * values with the API's own rules so the message names the label at fault (the API's answer for a
 * bad record key is only "Invalid key in record").
 */
export function parseLabels(text: string, field = "labels"): ParsedLabels {
  const labels: Record<string, string> = {};
  for (const part of text
    .split(/[,\n]/)
    .map((p) => p.trim())
    .filter((p) => p !== "")) {
    const eq = part.indexOf("=");
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (key === "") return { ok: false, error: `${field}: "${part}" is not key=value (tier=web)` };
    const value = eq < 0 ? "" : part.slice(eq + 1).trim();
    const problem = LabelKey.safeParse(key).error ?? LabelValue.safeParse(value).error;
    if (problem)
      return { ok: false, error: `${field}: "${part}": ${problem.issues[0]?.message ?? "not a valid label"}` };
    labels[key] = value;
  }
  return { ok: true, labels };
}
