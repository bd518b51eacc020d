import { z } from "zod";
import { DomainError } from "../errors.ts";

/**
 * Cursor pagination over any sortable column (issue 17, "tables that scale"): rows are ordered by
 * (column, id) and a page ends with a cursor holding both of its last row, so the next page starts
 * strictly after it whatever was inserted or deleted meanwhile (keyset, not OFFSET).
 */
export const Direction = z.enum(["asc", "desc"]);
export type Direction = z.infer<typeof Direction>;

/** What every paged list takes besides its own filters and sort keys. */
export const PageParams = {
  cursor: z.string().max(400).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  search: z.string().trim().max(100).optional(),
  /** `order`, not `direction`: tRPC's infinite queries add `direction` (forward/backward) to the input */
  order: Direction.optional(),
};

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable(), total: z.number().int() });

type Key = string | number | Date;
const Encoded = z.tuple([z.union([z.string(), z.number()]), z.string().min(1).max(60), z.literal(0).or(z.literal(1))]);

export function encodeCursor(value: Key, id: string): string {
  const v = value instanceof Date ? value.toISOString() : value;
  return Buffer.from(JSON.stringify([v, id, value instanceof Date ? 1 : 0])).toString("base64url");
}

export function decodeCursor(cursor: string | undefined): { value: Key; id: string } | null {
  if (!cursor) return null;
  let parsed: z.infer<typeof Encoded> | null = null;
  try {
    const r = Encoded.safeParse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    parsed = r.success ? r.data : null;
  } catch {
    parsed = null;
  }
  if (!parsed) throw new DomainError("VALIDATION_FAILED", "cursor is not one this API returned", { field: "cursor" });
  const [v, id, isDate] = parsed;
  const value = isDate ? new Date(String(v)) : v;
  if (value instanceof Date && Number.isNaN(value.getTime()))
    throw new DomainError("VALIDATION_FAILED", "cursor is not one this API returned", { field: "cursor" });
  return { value, id };
}

/** The `where` that starts a page after `after` in (field, id) order, and that order for Prisma. */
export function keyset(field: string, direction: Direction, after: { value: Key; id: string } | null) {
  const op = direction === "asc" ? "gt" : "lt";
  return {
    where: after
      ? { OR: [{ [field]: { [op]: after.value } }, { [field]: after.value, id: { [op]: after.id } }] }
      : undefined,
    orderBy: [{ [field]: direction }, { id: direction }],
  };
}

/** Trims the extra row fetched to learn whether another page follows, and names its cursor. */
export function finishPage<R extends { id: string }>(rows: R[], limit: number, keyOf: (r: R) => Key) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { page, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last), last.id) : null };
}
