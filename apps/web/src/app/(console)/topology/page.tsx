import { TopologyView } from "../../../components/topology-view.tsx";

export default function TopologyPage() {
  return <TopologyView />;
}
