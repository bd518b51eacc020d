import { EmptyState } from "../../../components/empty-state.tsx";

export default function PoliciesPage() {
  return (
    <>
      <h1>Policies</h1>
      <p className="lead">Who may talk to whom. Everything is denied until you plug it.</p>
      <EmptyState title="Nothing is plugged" action={{ href: "/instances", label: "Go to instances" }}>
        <p>Group your instances, then plug one group into another with the protocols and ports they need. Unplugging cuts traffic at once.</p>
      </EmptyState>
    </>
  );
}
