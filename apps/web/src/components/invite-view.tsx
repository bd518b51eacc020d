"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { authClient } from "../lib/auth-client.ts";
import { useTRPC } from "../trpc/client.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { setOrgCookie } from "./org-cookie.ts";

export function InviteView({ secret }: { secret: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const session = authClient.useSession();
  const preview = useQuery(trpc.invitation.preview.queryOptions({ secret }, { retry: false }));
  const accept = useMutation(
    trpc.invitation.accept.mutationOptions({
      onSuccess: (r) => {
        setOrgCookie(r.orgId);
        router.replace("/");
        router.refresh();
      },
    }),
  );
  const here = `/invite/${encodeURIComponent(secret)}`;

  return (
    <main className="auth-page">
      <div className="card auth-card">
        <div className="brand">NVI console</div>
        {preview.isPending && <p>Checking the invitation…</p>}
        {preview.error && (
          <>
            <h1>Invitation not found</h1>
            <p className="lead">The link is wrong or was revoked. Ask the person who invited you for a new one.</p>
          </>
        )}
        {preview.data && (
          <>
            <h1>Join {preview.data.organizationName}</h1>
            <p className="lead">
              You are invited as <strong>{preview.data.role}</strong>
              {preview.data.email ? ` (for ${preview.data.email})` : ""}.
            </p>
            {preview.data.status !== "pending" ? (
              <div className="alert">This invitation is {preview.data.status}. Ask for a new link.</div>
            ) : session.data ? (
              <div className="form">
                <p className="muted">Signed in as {session.data.user.email}.</p>
                <ErrorAlert error={accept.error} />
                <button className="primary" disabled={accept.isPending} onClick={() => accept.mutate({ secret })}>
                  Join {preview.data.organizationName}
                </button>
              </div>
            ) : (
              <div className="row">
                <Link className="button primary" href={`/sign-up?next=${encodeURIComponent(here)}`}>
                  Create an account
                </Link>
                <Link className="button" href={`/sign-in?next=${encodeURIComponent(here)}`}>
                  Sign in
                </Link>
              </div>
            )}
          </>
        )}
      </div>
    </main>
  );
}
