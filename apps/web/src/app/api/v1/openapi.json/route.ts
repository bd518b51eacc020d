import { openApiDocument } from "@nvi/api";
import { webEnv } from "../../../../env.ts";

export const dynamic = "force-dynamic";

export function GET() {
  return Response.json(openApiDocument(webEnv().PUBLIC_URL));
}
