import { handleTrpc } from "@nvi/api";
import { contextFor, logInternalError } from "../../../../server/api-context.ts";

export const dynamic = "force-dynamic";

const handler = (req: Request) => handleTrpc(req, contextFor, { onInternalError: logInternalError });
export { handler as GET, handler as POST };
