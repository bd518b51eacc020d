import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { Shell } from "../../components/shell.tsx";
import { sessionUserOf } from "../../server/auth.ts";

export const dynamic = "force-dynamic";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const user = await sessionUserOf(await headers());
  if (!user) redirect("/sign-in");
  return <Shell user={{ email: user.email, name: user.name }}>{children}</Shell>;
}
