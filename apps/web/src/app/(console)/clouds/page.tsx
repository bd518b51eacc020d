import { EmptyState } from "../../../components/empty-state.tsx";

export default function CloudsPage() {
  return (
    <>
      <h1>Clouds</h1>
      <p className="lead">Docker hosts, VM hosts and bare-metal servers, each in its own region and datacenter.</p>
      <EmptyState title="No clouds registered yet">
        <p>
          A cloud is a group of hosts you run. Each host runs the NVI agent, which owns an Open vSwitch bridge and dials out to this
          console, so hosts behind NAT work too.
        </p>
        <p>
          Cloud registration and agent join tokens are not in this build yet. Meanwhile, create an API token so your scripts are ready for
          the <code>/api/v1</code> routes as they land.
        </p>
      </EmptyState>
    </>
  );
}
