import { TokensView } from "../../../components/tokens-view.tsx";

export default function TokensPage() {
  return <TokensView />;
}
