import { isLiveMark } from "../../../lib/live-mark.ts";
import { contextFor } from "../../../server/api-context.ts";
import { liveMark } from "../../../server/live-mark.ts";

export const dynamic = "force-dynamic";

/**
 * Server-sent events for the console: `change` whenever an operation or instance of the caller's
 * organization moves (checked every second against Postgres; replicas need nothing shared), a
 * keep-alive comment otherwise. Browsers reconnect on their own (retry 3 s). `?since=<mark>` (the
 * mark a server-rendered page's data was read at, lib/live-mark.ts) holds the first `change` back
 * unless something moved after it; without it, the first tick always says `change`.
 */
export async function GET(req: Request): Promise<Response> {
  const ctx = contextFor(req);
  let core;
  try {
    core = { ...ctx.deps, actor: await ctx.actor() };
  } catch {
    return new Response(JSON.stringify({ message: "sign in or send an API token" }), {
      status: 401,
      headers: { "content-type": "application/json" },
    });
  }
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (text: string): void => controller.enqueue(encoder.encode(text));
      send("retry: 3000\n\n");
      const since = new URL(req.url).searchParams.get("since");
      let last = isLiveMark(since) ? since : "";
      for (let tick = 0; !req.signal.aborted; tick++) {
        try {
          const mark = await liveMark(core);
          if (mark !== last) {
            last = mark;
            send(`event: change\ndata: ${JSON.stringify({ at: new Date().toISOString() })}\n\n`);
          } else if (tick % 15 === 0) send(": keep-alive\n\n");
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 1_000));
      }
      try {
        controller.close();
      } catch {
        // the client went away first
      }
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
    },
  });
}
