import { NextResponse, type NextRequest } from "next/server";

/**
 * Runs before routing for every API path. A path whose percent-encoding is malformed
 * (`/api/v1/%ff`) made Next's route-parameter decoding fail with a plain-text 500 before any
 * handler; it is answered here with 400 in the API's JSON error shape.
 */
export function proxy(request: NextRequest): NextResponse {
  const path = new URL(request.url).pathname;
  try {
    decodeURIComponent(path);
  } catch {
    return NextResponse.json(
      {
        code: "BAD_REQUEST",
        message: "the request path is not valid percent-encoded UTF-8",
        data: { domainCode: "VALIDATION_FAILED", field: null },
      },
      { status: 400 },
    );
  }
  return NextResponse.next();
}

export const config = { matcher: "/api/:path*" };
