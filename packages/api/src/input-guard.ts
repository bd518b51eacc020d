/**
 * Postgres stores neither a NUL character (text: 22021, jsonb: 22P05) nor a lone UTF-16
 * surrogate (jsonb: 22P02), and no field of this API has a use for either. Input holding one is
 * refused at the edge with a 400 naming the field, before any handler or query sees it.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function unstorableStringAt(value: unknown, path: string[] = []): { path: string; problem: string } | null {
  const problem = (s: string) =>
    s.includes("\u0000") ? "a NUL character" : LONE_SURROGATE.test(s) ? "an unpaired UTF-16 surrogate" : null;
  if (typeof value === "string") {
    const p = problem(value);
    return p ? { path: path.join("."), problem: p } : null;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = unstorableStringAt(item, [...path, String(i)]);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const p = problem(key);
      if (p) return { path: [...path, key.replace(/[\u0000\ud800-\udfff]/g, "?")].join("."), problem: p };
      const found = unstorableStringAt(item, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}
