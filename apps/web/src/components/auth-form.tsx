"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { authClient } from "../lib/auth-client.ts";
import { formText } from "../lib/form.ts";
import { ErrorAlert } from "./ui/error-alert.tsx";

/** Only same-site paths are followed after sign-in (no open redirect). */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function AuthForm({ mode }: { mode: "sign-in" | "sign-up" }) {
  const router = useRouter();
  const params = useSearchParams();
  const next = safeNext(params.get("next"));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = formText(form, "email");
    const password = typeof form.get("password") === "string" ? (form.get("password") as string) : "";
    setBusy(true);
    setError(null);
    const result =
      mode === "sign-up"
        ? await authClient.signUp.email({ email, password, name: formText(form, "name") || email.split("@")[0]! })
        : await authClient.signIn.email({ email, password });
    setBusy(false);
    if (result.error) {
      setError(result.error.message ?? "Something went wrong; try again.");
      return;
    }
    router.replace(next);
    router.refresh();
  }

  const other = mode === "sign-in" ? "sign-up" : "sign-in";
  return (
    <main className="auth-page">
      <div className="card auth-card">
        <div className="brand">NVI console</div>
        <h1>{mode === "sign-in" ? "Sign in" : "Create your account"}</h1>
        <p className="lead">
          {mode === "sign-in"
            ? "One private network across all your clouds."
            : "You get your own organization; invite your team later."}
        </p>
        <form className="form" onSubmit={(e) => void onSubmit(e)} noValidate>
          {mode === "sign-up" && (
            <label>
              Name
              <input name="name" autoComplete="name" maxLength={80} placeholder="Ada Lovelace" />
            </label>
          )}
          <label>
            Email
            <input name="email" type="email" autoComplete="email" required maxLength={254} />
          </label>
          <label>
            Password
            <input
              name="password"
              type="password"
              autoComplete={mode === "sign-in" ? "current-password" : "new-password"}
              required
            />
            {mode === "sign-up" && <span className="muted">At least 10 characters; a passphrase is best.</span>}
          </label>
          <ErrorAlert error={error} />
          <button className="primary" type="submit" disabled={busy}>
            {busy ? "Please wait…" : mode === "sign-in" ? "Sign in" : "Create account"}
          </button>
        </form>
        <p className="muted">
          {mode === "sign-in" ? "New here?" : "Already have an account?"}{" "}
          <Link href={`/${other}${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`}>
            {other === "sign-up" ? "Create an account" : "Sign in"}
          </Link>
        </p>
      </div>
    </main>
  );
}
