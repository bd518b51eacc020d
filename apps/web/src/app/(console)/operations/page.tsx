import { Suspense } from "react";
import { OperationsView } from "../../../components/operations-view.tsx";

export default function OperationsPage() {
  return (
    <Suspense>
      <OperationsView />
    </Suspense>
  );
}
