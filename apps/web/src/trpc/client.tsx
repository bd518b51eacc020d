"use client";

import type { AppRouter } from "@nvi/api";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: { staleTime: 5_000, retry: (n, e) => n < 2 && !/UNAUTHORIZED|FORBIDDEN|NOT_FOUND/.test(e.message) },
        },
      }),
  );
  const [trpcClient] = useState(() => createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "/api/trpc" })] }));
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
    if (data?.issues?.length)
      return data.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
    return error.message;
  }
  return error instanceof Error ? error.message : JSON.stringify(error);
}
