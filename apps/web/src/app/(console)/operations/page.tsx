import { EmptyState } from "../../../components/empty-state.tsx";

export default function OperationsPage() {
  return (
    <>
      <h1>Operations</h1>
      <p className="lead">Every change that touches a host runs as a tracked job, with live progress here.</p>
      <EmptyState title="No operations yet" action={{ href: "/audit", label: "See the audit log" }}>
        <p>Creating VPCs, launching instances and plugging policies will show up here as they run. Account and token changes are in the audit log.</p>
      </EmptyState>
    </>
  );
}
