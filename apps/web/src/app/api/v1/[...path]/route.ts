import { handleRest } from "@nvi/api";
import { contextFor, logInternalError } from "../../../../server/api-context.ts";

export const dynamic = "force-dynamic";

const handler = (req: Request) => handleRest(req, contextFor, { onInternalError: logInternalError });
export { handler as GET, handler as POST, handler as PATCH, handler as PUT, handler as DELETE };
