import type { Metadata } from "next";
import { SerialConsoleView } from "../../../../../components/serial-console.tsx";

export const metadata: Metadata = { title: "Serial console" };

export default async function SerialConsolePage({ params }: { params: Promise<{ instanceId: string }> }) {
  const { instanceId } = await params;
  return <SerialConsoleView instanceId={instanceId} />;
}
