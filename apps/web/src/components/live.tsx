"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

/**
 * Subscribes to the console's server-sent events (`/api/live`): every `change` refreshes what the
 * page shows (instances, operations). Returns whether the stream is connected.
 */
export function useLiveUpdates(): boolean {
  const queryClient = useQueryClient();
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const source = new EventSource("/api/live");
    source.addEventListener("open", () => setConnected(true));
    source.addEventListener("error", () => setConnected(false));
    source.addEventListener("change", () => void queryClient.invalidateQueries());
    return () => source.close();
  }, [queryClient]);
  return connected;
}
