/**
 * A console page's first data, read on the server and handed to the browser with the HTML.
 *
 * Without it a page load is serial: HTML, then ≈ 0.5–0.8 s of the browser parsing and running the
 * scripts, then the page asks the API for its data, then draws it (bench/console). Here the page's
 * server component runs the same procedures (the tRPC router called in process, with the request's
 * own cookies, through the same read gate as the API), and the answers travel in the page as the
 * query cache's starting state (`HydrationBoundary`): the rows are in the HTML, and the client's
 * queries find them fresh instead of asking.
 *
 * The answers are made JSON first, exactly as the API's HTTP answers are (dates become strings,
 * absent fields vanish), so what the client finds is what it would have fetched. A read that fails
 * or takes longer than `PREFETCH_BUDGET_MS` is simply left out: the page still comes, and its
 * client asks for that data itself (with its usual retries and "reconnecting" state).
 *
 * A page that follows the live stream (`live`) also carries the stream's mark, read before its data
 * (lib/live-mark.ts), so the stream does not at once tell it to fetch everything again.
 */
import { appRouter, readGate, type AppRouter } from "@nvi/api";
import { dehydrate, HydrationBoundary, QueryClient } from "@tanstack/react-query";
import { createTRPCOptionsProxy, type TRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { headers } from "next/headers";
import { cache, type ReactNode } from "react";
import { LIVE_MARK_KEY } from "../lib/live-mark.ts";
import { asJson } from "./as-json.ts";
import { contextOf, logInternalError } from "./api-context.ts";
import { liveMark } from "./live-mark.ts";

/** How long a page's HTML waits for its data before it goes without (the client then fetches it). */
export const PREFETCH_BUDGET_MS = 1_500;

/** One query client per request (React's `cache` is per server render). */
const requestQueryClient = cache(
  () =>
    new QueryClient({
      defaultOptions: { queries: { staleTime: 5_000, retry: false }, dehydrate: { serializeData: asJson } },
    }),
);

/** One API context per request, so the session is read once for all of a page's reads. */
const requestContext = cache(async () => contextOf(new Headers(await headers()), "GET"));

export type ServerTrpc = TRPCOptionsProxy<AppRouter>;

const requestTrpc = cache((): ServerTrpc =>
  createTRPCOptionsProxy<AppRouter>({ router: appRouter, ctx: requestContext, queryClient: requestQueryClient }),
);

/**
 * Runs `load` (the page's reads, as `queryClient.fetchQuery(trpc.x.queryOptions(…))` and the like)
 * within the budget, then renders `children` with whatever answered in the query cache.
 */
export async function Prefetched({
  load,
  live = false,
  children,
}: {
  load: (trpc: ServerTrpc, queryClient: QueryClient) => Promise<unknown>[];
  /** the page follows the live stream (`useLiveUpdates`): read the stream's mark first */
  live?: boolean;
  children: ReactNode;
}) {
  const queryClient = requestQueryClient();
  let late = false; // the HTML went without this data: reads not started by then are not worth making
  let mark: string | null = null;
  const reads = readGate
    .admit("GET", async () => {
      if (late) return false;
      if (live) mark = await liveMark(await liveCore()).catch(() => null); // none: the stream's first tick says "change"
      const results = await Promise.allSettled(load(requestTrpc(), queryClient));
      for (const r of results)
        if (r.status === "rejected" && isInternal(r.reason)) logInternalError(r.reason, "prefetch");
      return results.every((r) => r.status === "fulfilled");
    })
    .catch((e: unknown) => (logInternalError(e, "prefetch"), false));
  let timer: NodeJS.Timeout | undefined;
  const complete = await Promise.race([
    reads,
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), PREFETCH_BUDGET_MS))),
  ]);
  clearTimeout(timer);
  late = true;
  // the stream's mark vouches for the page's data only when all of it came with the page
  if (complete && mark !== null) queryClient.setQueryData(LIVE_MARK_KEY, mark);
  return <HydrationBoundary state={dehydrate(queryClient)}>{children}</HydrationBoundary>;
}

/** The caller as core's reads take it (the live stream's mark). */
async function liveCore() {
  const ctx = await requestContext();
  return { ...ctx.deps, actor: await ctx.actor() };
}

/** A refusal (not signed in, not found, …) is the client's to show; only a fault is logged. */
function isInternal(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "INTERNAL_SERVER_ERROR";
}
