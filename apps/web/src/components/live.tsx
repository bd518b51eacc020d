"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { isLiveMark, LIVE_MARK_KEY } from "../lib/live-mark.ts";

/**
 * Subscribes to the console's server-sent events (`/api/live`): every `change` refreshes what the
 * page shows (instances, operations). Returns whether the stream is connected. A page that came with
 * its data (server/prefetch.tsx) left the mark it was read at in the cache: the stream then says
 * `change` only for what moved after it.
 */
export function useLiveUpdates(): boolean {
  const queryClient = useQueryClient();
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    // the mark vouches only for the data the page came with: used once, by the first stream after it
    const since = queryClient.getQueryData<string>(LIVE_MARK_KEY);
    queryClient.removeQueries({ queryKey: LIVE_MARK_KEY });
    const source = new EventSource(isLiveMark(since) ? `/api/live?since=${since}` : "/api/live");
    source.addEventListener("open", () => setConnected(true));
    source.addEventListener("error", () => setConnected(false));
    source.addEventListener("change", () => void queryClient.invalidateQueries());
    return () => source.close();
  }, [queryClient]);
  return connected;
}
