"use client";

import { useSyncExternalStore } from "react";
import { formatDateTime, formatUtc } from "./time.ts";

const never = () => () => {};

/**
 * A time in the viewer's own zone, for rows a page renders on the server (server/prefetch.tsx): the
 * server cannot know that zone, and text that differs between the server's HTML and the browser's
 * first render makes React throw the page's HTML away. So the server's render and the hydration write
 * it in UTC (marked so), and the browser then swaps in its local time.
 */
export function LocalTime({ when }: { when: Parameters<typeof formatDateTime>[0] }) {
  const inBrowser = useSyncExternalStore(
    never,
    () => true,
    () => false,
  );
  return inBrowser ? formatDateTime(when) : `${formatUtc(when)} UTC`;
}
