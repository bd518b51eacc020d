import { EmptyState } from "../../../components/empty-state.tsx";

export default function InstancesPage() {
  return (
    <>
      <h1>Instances</h1>
      <p className="lead">Containers, VMs and lightweight namespaces launched into your VPCs.</p>
      <EmptyState title="No instances yet" action={{ href: "/vpcs", label: "Go to VPCs" }}>
        <p>Instances are launched into a VPC subnet on a host of one of your clouds. Create a VPC first.</p>
      </EmptyState>
    </>
  );
}
