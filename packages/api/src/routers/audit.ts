import { AuditFilter, AuditPage, listAuditEvents } from "@nvi/core";
import { router } from "../trpc.ts";
import { rest } from "./meta.ts";
import { read } from "./procedures.ts";

export const auditRouter = router({
  list: read(
    rest("GET", "/audit-events", "audit", "Audit log, newest first, filterable (audit:read)"),
    AuditFilter,
    AuditPage,
    listAuditEvents,
  ),
});
