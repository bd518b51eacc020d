import type { Metadata } from "next";
import { InstancesView } from "../../../components/instances-view.tsx";

export const metadata: Metadata = { title: "Instances" };

export default function InstancesPage() {
  return <InstancesView />;
}
