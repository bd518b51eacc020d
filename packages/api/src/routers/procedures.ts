import type { Ctx, OperationQueue } from "@nvi/core";
import type { OpenApiMeta } from "trpc-to-openapi";
import type { z } from "zod";
import type { ApiContext } from "../context.ts";
import { authedProcedure } from "../trpc.ts";
import { queueOf } from "./queue.ts";

/*
 * Most procedures are the same four steps: any authenticated actor, input and output checked
 * by zod, one `core` call with the actor's context. These builders write them once; a procedure
 * that needs something else (a host credential, a signed-in person, several calls) is spelled out.
 */

type MaybePromise<T> = T | Promise<T>;
type Call<I extends z.ZodType, O extends z.ZodType> = (
  core: Ctx,
  input: z.output<I>,
  api: ApiContext,
) => MaybePromise<z.input<O>>;

function checked<I extends z.ZodType, O extends z.ZodType>(meta: OpenApiMeta, input: I, output: O) {
  return authedProcedure.meta(meta).input(input).output(output);
}

// `as never`: tRPC cannot relate `z.input<O>` to its own view of a generic parser; the builders'
// signatures carry the check (a `call` must answer what `output` accepts).
function resolver<I extends z.ZodType, O extends z.ZodType>(call: Call<I, O>) {
  return ({ ctx, input }: { ctx: ApiContext & { core: Ctx }; input: unknown }) =>
    call(ctx.core, input as z.output<I>, ctx) as never;
}

type Args<I extends z.ZodType, O extends z.ZodType> = [meta: OpenApiMeta, input: I, output: O, call: Call<I, O>];

/** A read: `call(ctx.core, input)` (the request's context third, for the rare call that needs more). */
export const read = <I extends z.ZodType, O extends z.ZodType>(...[meta, input, output, call]: Args<I, O>) =>
  checked(meta, input, output).query(resolver(call));

/** A change made at once: `call(ctx.core, input)`. */
export const write = <I extends z.ZodType, O extends z.ZodType>(...[meta, input, output, call]: Args<I, O>) =>
  checked(meta, input, output).mutation(resolver(call));

/** A change that queues an operation: `call(ctx.core, queue, input)` with the server's queue. */
export function queued<I extends z.ZodType, O extends z.ZodType>(
  meta: OpenApiMeta,
  input: I,
  output: O,
  call: (core: Ctx, queue: OperationQueue, input: z.output<I>) => MaybePromise<z.input<O>>,
) {
  return write(meta, input, output, (core, input, api) => call(core, queueOf(api), input));
}
