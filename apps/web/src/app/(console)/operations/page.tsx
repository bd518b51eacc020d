import type { Metadata } from "next";
import { Suspense } from "react";
import { OperationsView } from "../../../components/operations-view.tsx";

export const metadata: Metadata = { title: "Operations" };

export default function OperationsPage() {
  return (
    <Suspense>
      <OperationsView />
    </Suspense>
  );
}
