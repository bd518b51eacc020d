/** Labels as one line of text (`tier=web, env=prod`) in the console's forms and tables. */
export function formatLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => (v === "" ? k : `${k}=${v}`))
    .join(", ");
}

export type ParsedLabels = { ok: true; labels: Record<string, string> } | { ok: false; error: string };

/**
 * Parses `tier=web, env=prod` (a bare `key` means an empty value) into labels. The API validates
 * keys and values; this only splits the text, and names the part it cannot read.
 */
export function parseLabels(text: string, field = "labels"): ParsedLabels {
  const labels: Record<string, string> = {};
  for (const part of text.split(/[,\n]/).map((p) => p.trim()).filter((p) => p !== "")) {
    const eq = part.indexOf("=");
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (key === "") return { ok: false, error: `${field}: "${part}" is not key=value (tier=web)` };
    labels[key] = eq < 0 ? "" : part.slice(eq + 1).trim();
  }
  return { ok: true, labels };
}
