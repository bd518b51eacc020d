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

/** REST over /api/v1 with a bearer token; every answer is JSON. */
export function client(baseUrl: string, token: string | null): Client {
  const api = `${baseUrl.replace(/\/+$/, "")}/api/v1`;
  return {
    async call(method, path, body) {
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
      const payload = (await res.json().catch(() => null)) as {
        message?: string;
        data?: { domainCode?: string | null; issues?: { path: string; message: string }[] | null };
      } | null;
      if (!res.ok) {
        throw new ApiError(
          res.status,
          payload?.message ?? res.statusText,
          payload?.data?.domainCode ?? null,
          payload?.data?.issues ?? [],
        );
      }
      return payload;
    },
  };
}
