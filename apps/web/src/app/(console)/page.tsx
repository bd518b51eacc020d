import { Overview } from "../../components/overview.tsx";

export default function OverviewPage() {
  return <Overview />;
}
