import type { Metadata } from "next";
import { InstancesView } from "../../../components/instances-view.tsx";
import { nextPageParam } from "../../../components/ui/paged-input.ts";
import { instancesFirstPage } from "../../../lib/first-pages.ts";
import { Prefetched } from "../../../server/prefetch.tsx";

export const metadata: Metadata = { title: "Instances" };

/** The table's first page (as `?search=` opens it) and the VPCs come with the page. */
export default async function InstancesPage({
  searchParams,
}: {
  searchParams: Promise<{ search?: string | string[] }>;
}) {
  // the first `?search=`, as the client's useSearchParams().get reads it
  const search = [(await searchParams).search].flat()[0] ?? "";
  return (
    <Prefetched
      live
      load={(trpc, qc) => [
        qc.fetchQuery(trpc.vpc.list.queryOptions()),
        qc.fetchInfiniteQuery(
          trpc.instance.page.infiniteQueryOptions(instancesFirstPage(search), {
            getNextPageParam: nextPageParam,
          }),
        ),
      ]}
    >
      <InstancesView />
    </Prefetched>
  );
}
