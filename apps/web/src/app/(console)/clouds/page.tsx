import { CloudsView } from "../../../components/clouds-view.tsx";

export default function CloudsPage() {
  return <CloudsView />;
}
