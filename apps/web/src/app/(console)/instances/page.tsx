import { InstancesView } from "../../../components/instances-view.tsx";

export default function InstancesPage() {
  return <InstancesView />;
}
