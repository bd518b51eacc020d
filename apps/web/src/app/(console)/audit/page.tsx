import type { Metadata } from "next";
import { AuditView } from "../../../components/audit-view.tsx";
import { nextPageParam } from "../../../components/ui/paged-input.ts";
import { auditFirstPage } from "../../../lib/first-pages.ts";
import { Prefetched } from "../../../server/prefetch.tsx";

export const metadata: Metadata = { title: "Audit log" };

/** The log's newest page comes with the page. */
export default function AuditPage() {
  return (
    <Prefetched
      load={(trpc, qc) => [
        qc.fetchInfiniteQuery(
          trpc.audit.list.infiniteQueryOptions(auditFirstPage(), {
            getNextPageParam: nextPageParam,
            initialCursor: undefined,
          }),
        ),
      ]}
    >
      <AuditView />
    </Prefetched>
  );
}
