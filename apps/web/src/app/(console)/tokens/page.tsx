import type { Metadata } from "next";
import { TokensView } from "../../../components/tokens-view.tsx";

export const metadata: Metadata = { title: "API tokens" };

export default function TokensPage() {
  return <TokensView />;
}
