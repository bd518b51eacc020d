import fc from "fast-check";

/**
 * Schema-violating input for the fuzz test, derived from the API's own OpenAPI document: a valid
 * value for the operation with one or two fields replaced by something the schema forbids (so
 * validation, not routing, is what gets hit, and a value that slips through reaches the database),
 * or no valid shape at all.
 */
export interface JsonSchema {
  type?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  minLength?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

export interface Operation {
  method: string;
  path: string;
  query: Record<string, JsonSchema>;
  body: JsonSchema | null;
}

type Doc = {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string; schema: JsonSchema }[];
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
      }
    >
  >;
};

export function operationsOf(doc: unknown): Operation[] {
  return Object.entries((doc as Doc).paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      query: Object.fromEntries((op.parameters ?? []).filter((p) => p.in === "query").map((p) => [p.name, p.schema])),
      body: op.requestBody?.content?.["application/json"]?.schema ?? null,
    })),
  );
}

/** Strings a handler should refuse, not choke on. */
export const nasty = fc.oneof(
  fc.constantFrom(
    "\u0000",
    "fuzz\u0000name",
    "%00",
    "%ff",
    "../../etc/passwd",
    "--privileged",
    "\ud800",
    "' OR 1=1 --",
    "0.0.0.0/0",
    "10.0.0.0/33",
    "-1",
    "1e309",
    "NaN",
    "",
    " ",
  ),
  fc.string(),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ minLength: 300, maxLength: 3000 }),
);

/** A string that would pass most fields' checks but for the NUL in it (Postgres cannot store one). */
export const withNul = fc.string({ maxLength: 8 }).map((s) => `fuzz${s.replace(/\W/g, "")}\u0000x`);

export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: withNul },
  { weight: 4, arbitrary: nasty },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.integer(),
      fc.constantFrom(2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, 1e308, -0.5, 0),
    ),
  },
  { weight: 1, arbitrary: fc.oneof(fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 })) },
  { weight: 1, arbitrary: fc.oneof(fc.array(nasty, { maxLength: 3 }), fc.dictionary(nasty, nasty, { maxKeys: 3 })) },
);

/** A plausible valid value (what a correct client would send), so that a mutation elsewhere gets past the rest of the checks. */
export function validSample(schema: JsonSchema, key: string, ids: Record<string, string>): unknown {
  if (schema.anyOf) return validSample(schema.anyOf.find((s) => s.type !== "null") ?? schema.anyOf[0]!, key, ids);
  if (schema.enum) return schema.enum[0];
  switch (schema.type) {
    case "string": {
      if (/cidr/i.test(key)) return "10.77.3.0/24";
      if (/Id$/.test(key)) return ids[key] ?? `${key.replace(/Id$/, "")}_fuzz`;
      if (schema.format === "email") return "fuzz@example.test";
      if (schema.format === "ipv4") return "10.77.1.9";
      if (schema.format === "date-time") return "2026-01-01T00:00:00Z";
      if (schema.pattern === "^[0-9a-f]{16}$") return "00000000000000f1";
      if (schema.pattern?.includes("[0-9a-f]{2}(:")) return "02:00:00:00:00:f1";
      return "fuzz1".padEnd(schema.minLength ?? 0, "x");
    }
    case "integer":
    case "number":
      return schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : Math.max(schema.minimum ?? 1, 1);
    case "boolean":
      return false;
    case "array":
      return (schema.minItems ?? 0) > 0 && schema.items ? [validSample(schema.items, key, ids)] : [];
    case "object":
      return Object.fromEntries((schema.required ?? []).map((k) => [k, validSample(schema.properties![k]!, k, ids)]));
    default:
      return null;
  }
}

/** Field paths one or two levels deep (`name`, `facts.hostname`). */
function leafPaths(schema: JsonSchema): string[][] {
  return Object.entries(schema.properties ?? {}).flatMap(([k, s]) => [
    [k],
    ...(s.properties ? Object.keys(s.properties).map((c) => [k, c]) : []),
  ]);
}

function setPath(
  target: Record<string, unknown>,
  path: string[],
  value: unknown,
  schema: JsonSchema,
  ids: Record<string, string>,
): void {
  const [head, ...rest] = path;
  if (!head) return;
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  const child = schema.properties?.[head] ?? {};
  const current = target[head];
  const next =
    current && typeof current === "object" && !Array.isArray(current)
      ? (current as Record<string, unknown>)
      : (validSample(child, head, ids) as Record<string, unknown>);
  target[head] = next;
  setPath(next, rest, value, child, ids);
}

/** A valid object of `schema` with one or two fields set to something else. */
export function mutatedObject(
  schema: JsonSchema,
  ids: () => Record<string, string>,
): fc.Arbitrary<Record<string, unknown>> {
  const paths = leafPaths(schema);
  if (paths.length === 0) return fc.dictionary(nasty, anyValue, { maxKeys: 3 });
  return fc
    .tuple(
      fc.subarray(paths, { minLength: 1, maxLength: Math.min(2, paths.length) }),
      fc.array(anyValue, { minLength: 2, maxLength: 2 }),
    )
    .map(([chosen, values]) => {
      const base = validSample(schema, "", ids()) as Record<string, unknown>;
      chosen.forEach((p, i) => setPath(base, p, values[i], schema, ids()));
      return base;
    });
}

/** A request body: a mutated valid object mostly, sometimes any JSON, broken JSON or not JSON at all. */
export function bodyFor(
  schema: JsonSchema | null,
  ids: () => Record<string, string>,
): fc.Arbitrary<{ text: string; json: boolean }> {
  const asJson = (v: unknown) => ({ text: JSON.stringify(v) ?? "null", json: true });
  return fc.oneof(
    { weight: 6, arbitrary: mutatedObject(schema ?? {}, ids).map(asJson) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(asJson) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom("", "{", "[1,", "null", '{"a":"\\u0000"}', '"\\ud800"', '{"__proto__":{"x":1}}')
        .map((text) => ({ text, json: true })),
    },
    { weight: 1, arbitrary: nasty.map((text) => ({ text, json: false })) },
  );
}

/** Path parameters: a real id of the tenant's mostly, or an odd segment (percent-encoded NUL, a lone surrogate made safe, a long string). */
export function pathSegment(ids: () => Record<string, string>): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 2,
      arbitrary: fc.nat().map((i) => {
        const all = Object.values(ids());
        return all[i % all.length] ?? "x";
      }),
    },
    { weight: 2, arbitrary: nasty.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "x")) || "x") },
    { weight: 1, arbitrary: fc.constantFrom("%00", "x%00y", "%2e%2e") },
  );
}

/** Query parameters of the operation: valid ones with some set to nasty strings. */
export function queryFor(query: Record<string, JsonSchema>, ids: () => Record<string, string>): fc.Arbitrary<string> {
  const keys = Object.keys(query);
  if (keys.length === 0) return fc.constant("");
  return fc
    .tuple(fc.subarray(keys), fc.array(fc.oneof(withNul, nasty), { minLength: keys.length, maxLength: keys.length }))
    .map(([chosen, values]) =>
      keys
        .map((k, i) => [k, chosen.includes(k) ? values[i]! : String(validSample(query[k]!, k, ids()))] as const)
        .map(([k, v]) => `${k}=${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, "x"))}`)
        .join("&"),
    );
}
