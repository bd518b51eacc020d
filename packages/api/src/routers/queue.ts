import { DomainError, type OperationQueue } from "@nvi/core";
import type { ApiContext } from "../context.ts";

/** The server's queue; without one, a change is refused when it gets to queueing (after every check). */
export function queueOf(ctx: ApiContext): OperationQueue {
  return (
    ctx.operations ?? {
      enqueue: () =>
        Promise.reject(
          new DomainError("HOST_UNAVAILABLE", "the job queue is not configured on this server (REDIS_URL)"),
        ),
    }
  );
}
