import type { Metadata } from "next";
import { CloudsView } from "../../../components/clouds-view.tsx";
import { webEnv } from "../../../env.ts";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Clouds" };

export default function CloudsPage() {
  return <CloudsView publicUrl={webEnv().PUBLIC_URL} hostLimit={webEnv().NVI_ORG_HOST_LIMIT} />;
}
