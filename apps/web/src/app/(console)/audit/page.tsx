import { AuditView } from "../../../components/audit-view.tsx";

export default function AuditPage() {
  return <AuditView />;
}
