"use client";

import type { AppRouter } from "@nvi/api";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useEffect, useState, type ReactNode } from "react";
import { issuesText } from "../lib/issues-text.ts";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/** Seconds to wait before asking again when the API said a dependency is down (503 DATABASE_UNAVAILABLE, …); null otherwise. */
export function retryAfterSeconds(error: unknown): number | null {
  const data = (error as { data?: { httpStatus?: number; retryAfterSeconds?: number | null } } | null)?.data;
  return data?.httpStatus === 503 ? (data.retryAfterSeconds ?? 2) : null;
}

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          // an outage ("the console is reconnecting to its database") is waited out, shown meanwhile
          queries: {
            staleTime: 5_000,
            retry: (n, e) =>
              retryAfterSeconds(e) !== null ? n < 10 : n < 2 && !/UNAUTHORIZED|FORBIDDEN|NOT_FOUND/.test(e.message),
            retryDelay: (n, e) => (retryAfterSeconds(e) ?? Math.min(2 ** n, 30)) * 1000,
          },
        },
      }),
  );
  const [trpcClient] = useState(() => createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "/api/trpc" })] }));
  // Pages come with their data in the HTML (server/prefetch.tsx), so rows show before React runs:
  // this mark says the page now answers clicks (the page-load bench and the e2e tests wait for it).
  useEffect(() => {
    document.documentElement.dataset.hydration = "done";
  }, []);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

/** A readable message for any error the API or the auth client returns. */
export function errorMessage(error: unknown): string {
  if (!error) return "";
  if (typeof error === "object" && "message" in error && typeof error.message === "string") {
    const data = (error as { data?: { issues?: { path: string; message: string }[] | null } }).data;
    if (data?.issues?.length) return issuesText(data.issues);
    return error.message;
  }
  return error instanceof Error ? error.message : JSON.stringify(error);
}
