import type { Metadata } from "next";
import { VpcsView } from "../../../components/vpcs-view.tsx";

export const metadata: Metadata = { title: "VPCs" };

export default function VpcsPage() {
  return <VpcsView />;
}
