import type { Metadata } from "next";
import { ContainerLogsView } from "../../../../../components/container-logs.tsx";

export const metadata: Metadata = { title: "Container logs" };

export default async function ContainerLogsPage({ params }: { params: Promise<{ instanceId: string }> }) {
  const { instanceId } = await params;
  return <ContainerLogsView instanceId={instanceId} />;
}
