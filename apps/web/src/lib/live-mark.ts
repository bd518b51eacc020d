/**
 * The live stream's mark (`/api/live`): a short digest of what the stream watches (the organization's
 * latest operations and instance changes). A page whose data was read on the server carries the
 * mark read just before that data (server/prefetch.tsx, in the query cache under `LIVE_MARK_KEY`); the
 * browser opens the stream with `?since=<mark>`, and the stream says `change` only if something moved
 * after it, instead of at once (which made every page ask again for all it had just been given).
 */
export const LIVE_MARK_KEY = ["live-mark"] as const;

/** A mark as the stream makes it; anything else in `since` is ignored (the first tick then says `change`). */
export function isLiveMark(value: string | null | undefined): value is string {
  return typeof value === "string" && /^[\w-]{16}$/.test(value);
}
