import { EmptyState } from "../../../components/empty-state.tsx";

export default function VpcsPage() {
  return (
    <>
      <h1>VPCs</h1>
      <p className="lead">Private networks that span several clouds, with no encapsulation and MTU 1500 end to end.</p>
      <EmptyState title="No VPCs yet" action={{ href: "/clouds", label: "Start with a cloud" }}>
        <p>A VPC needs at least one cloud to place its subnets in. Register a cloud first, then draw a VPC across the clouds you choose.</p>
      </EmptyState>
    </>
  );
}
