import type { Metadata } from "next";
import { TopologyView } from "../../../components/topology-view.tsx";
import { Prefetched } from "../../../server/prefetch.tsx";

export const metadata: Metadata = { title: "Topology" };

/** The canvas's data comes with the page: clouds and hosts, links, VPCs, their subnets, the first VPC's matrix. */
export default function TopologyPage() {
  return (
    <Prefetched
      live
      load={(trpc, qc) => [
        qc.fetchQuery(trpc.topology.get.queryOptions()),
        qc.fetchQuery(trpc.cloud.links.queryOptions()),
        qc
          .fetchQuery(trpc.vpc.list.queryOptions())
          .then((vpcs) =>
            Promise.all([
              ...vpcs.map((v) => qc.fetchQuery(trpc.subnet.list.queryOptions({ vpcId: v.id }))),
              ...(vpcs[0] ? [qc.fetchQuery(trpc.policy.matrix.queryOptions({ vpcId: vpcs[0].id }))] : []),
            ]),
          ),
      ]}
    >
      <TopologyView />
    </Prefetched>
  );
}
