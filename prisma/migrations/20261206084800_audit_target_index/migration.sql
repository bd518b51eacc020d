-- CreateIndex
CREATE INDEX "audit_events_org_id_target_id_at_idx" ON "audit_events"("org_id", "target_id", "at");
