import type { OpenApiMeta } from "trpc-to-openapi";

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

/** REST exposure of a procedure: `/api/v1<path>`, in the OpenAPI document under `tag`. */
/** REST exposure of a procedure; `public: true` for the few a caller reaches without credentials. */
export function rest(
  method: Method,
  path: `/${string}`,
  tag: string,
  summary: string,
  o: { public?: boolean } = {},
): OpenApiMeta {
  const protect = !o.public;
  return {
    openapi: {
      method,
      path,
      tags: [tag],
      summary,
      protect,
      errorResponses: protect ? [400, 401, 403, 404] : [400, 404],
    },
  };
}
