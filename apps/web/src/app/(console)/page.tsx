import type { Metadata } from "next";
import { Overview } from "../../components/overview.tsx";
import { Prefetched } from "../../server/prefetch.tsx";

export const metadata: Metadata = { title: "Overview" };

/** The organization and the network's state (the tiles' four reads) come with the page. */
export default function OverviewPage() {
  return (
    <Prefetched
      live
      load={(trpc, qc) => [
        qc.fetchQuery(trpc.me.get.queryOptions()),
        qc.fetchQuery(trpc.host.list.queryOptions({})),
        qc.fetchQuery(trpc.instance.counts.queryOptions({})),
        qc.fetchQuery(trpc.operation.list.queryOptions({ limit: 100 })),
        qc.fetchQuery(trpc.policy.realization.queryOptions()),
      ]}
    >
      <Overview />
    </Prefetched>
  );
}
