import { PoliciesView } from "../../../components/policy/policies-view.tsx";

export default function PoliciesPage() {
  return <PoliciesView />;
}
