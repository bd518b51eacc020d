import type { Metadata } from "next";
import { SshKeysView } from "../../../components/ssh-keys-view.tsx";

export const metadata: Metadata = { title: "SSH keys" };

export default function SshKeysPage() {
  return <SshKeysView />;
}
