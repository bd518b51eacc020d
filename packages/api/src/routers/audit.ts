import { AuditFilter, AuditPage, listAuditEvents } from "@nvi/core";
import { authedProcedure, router } from "../trpc.ts";
import { rest } from "./meta.ts";

export const auditRouter = router({
  list: authedProcedure
    .meta(rest("GET", "/audit-events", "audit", "Audit log, newest first, filterable (audit:read)"))
    .input(AuditFilter)
    .output(AuditPage)
    .query(({ ctx, input }) => listAuditEvents(ctx.core, input)),
});
