/** A failed API call, with the server's message, domain code and fields at fault. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null,
    readonly issues: { path: string; message: string }[],
  ) {
    super(message);
  }
}

export interface Client {
  call(method: string, path: string, body?: unknown): Promise<unknown>;
}

/** How a client waits out a console that answered 503 (a dependency outage: nothing was done, send it again). */
export interface RetryPolicy {
  /** tries in all, the first included */
  attempts: number;
  /** the longest wait between tries, whatever Retry-After says */
  maxWaitMs: number;
  /** told before each wait (the CLI prints it on stderr) */
  onRetry?: (message: string, waitMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
}
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, maxWaitMs: 5_000 };

type Payload = {
  message?: string;
  data?: { domainCode?: string | null; issues?: { path: string; message: string }[] | null };
} | null;

/** REST over /api/v1 with a bearer token; every answer is JSON. A 503 is retried (bounded) after its Retry-After. */
export function client(baseUrl: string, token: string | null, retry: RetryPolicy = DEFAULT_RETRY): Client {
  const api = `${baseUrl.replace(/\/+$/, "")}/api/v1`;
  const sleep = retry.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const once = async (method: string, path: string, body: unknown): Promise<{ res: Response; payload: Payload }> => {
    let res: Response;
    try {
      res = await fetch(`${api}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new ApiError(
        0,
        `cannot reach ${baseUrl}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`,
        null,
        [],
      );
    }
    return { res, payload: (await res.json().catch(() => null)) as Payload };
  };
  return {
    async call(method, path, body) {
      for (let attempt = 1; ; attempt++) {
        const { res, payload } = await once(method, path, body);
        if (res.status === 503 && attempt < retry.attempts) {
          const seconds = Number(res.headers.get("retry-after") ?? "1");
          const waitMs = Math.min(retry.maxWaitMs, Math.max(100, (Number.isFinite(seconds) ? seconds : 1) * 1000));
          retry.onRetry?.(
            `${payload?.message ?? "the console is unavailable"} (retrying in ${waitMs / 1000} s)`,
            waitMs,
          );
          await sleep(waitMs);
          continue;
        }
        if (!res.ok) {
          throw new ApiError(
            res.status,
            payload?.message ?? res.statusText,
            payload?.data?.domainCode ?? null,
            payload?.data?.issues ?? [],
          );
        }
        return payload;
      }
    },
  };
}
