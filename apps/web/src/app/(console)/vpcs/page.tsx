import { VpcsView } from "../../../components/vpcs-view.tsx";

export default function VpcsPage() {
  return <VpcsView />;
}
