import { InviteView } from "../../../components/invite-view.tsx";

export default async function InvitePage({ params }: { params: Promise<{ secret: string }> }) {
  const { secret } = await params;
  return <InviteView secret={secret} />;
}
