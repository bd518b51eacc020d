import { checkBody } from "@nvi/api";
import { toNextJsHandler } from "better-auth/next-js";
import { auth } from "../../../../server/auth.ts";

export const dynamic = "force-dynamic";

export const GET = (req: Request) => toNextJsHandler(auth()).GET(req);

/** The same 64 KiB body cap as the API routes, and the same refusal of a NUL in any field, before better-auth parses anything. */
export async function POST(req: Request) {
  const checked = await checkBody(req, { refuseUnstorableText: true });
  return checked.ok ? toNextJsHandler(auth()).POST(checked.request) : checked.response;
}
