"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useState, type ReactNode } from "react";
import { authClient } from "../lib/auth-client.ts";
import { useTRPC } from "../trpc/client.tsx";
import { setOrgCookie } from "./org-cookie.ts";
import { Badge } from "./ui/badge.tsx";

const NAV: { section: string; items: { href: string; label: string }[] }[] = [
  {
    section: "Network",
    items: [
      { href: "/topology", label: "Topology" },
      { href: "/clouds", label: "Clouds" },
      { href: "/vpcs", label: "VPCs" },
      { href: "/instances", label: "Instances" },
      { href: "/policies", label: "Policies" },
    ],
  },
  {
    section: "Activity",
    items: [
      { href: "/operations", label: "Operations" },
      { href: "/audit", label: "Audit log" },
    ],
  },
  {
    section: "Organization",
    items: [
      { href: "/ssh-keys", label: "SSH keys" },
      { href: "/tokens", label: "API tokens" },
      { href: "/settings", label: "Settings" },
      { href: "/api-docs", label: "API reference" },
    ],
  },
];

function ThemeToggle() {
  const [theme, setTheme] = useState<string | null>(null);
  useEffect(() => setTheme(document.documentElement.dataset.theme ?? "light"), []);
  const flip = () => {
    const next = theme === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    localStorage.setItem("nvi-theme", next);
    setTheme(next);
  };
  return (
    <button onClick={flip} aria-label="Toggle light/dark theme" title="Toggle light/dark theme">
      {theme === "dark" ? "☀ Light" : "☾ Dark"}
    </button>
  );
}

function OrgSwitcher() {
  const trpc = useTRPC();
  const orgs = useQuery(trpc.org.list.queryOptions());
  const current = useQuery(trpc.org.get.queryOptions());
  if (!orgs.data || !current.data) return <span className="muted">…</span>;
  if (orgs.data.length < 2) {
    return (
      <span data-testid="current-org">
        <strong>{current.data.name}</strong> <Badge>{current.data.role}</Badge>
      </span>
    );
  }
  return (
    <label className="inline" data-testid="current-org">
      <select
        aria-label="Organization"
        value={current.data.id}
        onChange={(e) => {
          setOrgCookie(e.target.value);
          window.location.assign("/");
        }}
      >
        {orgs.data.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name} ({o.role})
          </option>
        ))}
      </select>
    </label>
  );
}

export function Shell({ user, children }: { user: { email: string; name: string }; children: ReactNode }) {
  const pathname = usePathname();
  const router = useRouter();
  const signOut = async () => {
    await authClient.signOut();
    router.replace("/sign-in");
    router.refresh();
  };
  return (
    <div className="shell">
      <a href="#content" className="skip-link">
        Skip to content
      </a>
      <nav className="nav" aria-label="Main">
        <Link href="/" className="brand">
          NVI console
        </Link>
        <Link href="/" aria-current={pathname === "/" ? "page" : undefined}>
          Overview
        </Link>
        {NAV.map((group) => (
          <div key={group.section} style={{ display: "contents" }}>
            <div className="section">{group.section}</div>
            {group.items.map((item) => (
              <Link key={item.href} href={item.href} aria-current={pathname.startsWith(item.href) ? "page" : undefined}>
                {item.label}
              </Link>
            ))}
          </div>
        ))}
        <div className="spacer" />
      </nav>
      <div className="main">
        <header className="topbar">
          <OrgSwitcher />
          <div className="grow" />
          <span className="muted" data-testid="user-email">
            {user.email}
          </span>
          <ThemeToggle />
          <button onClick={() => void signOut()}>Sign out</button>
        </header>
        <main className="content" id="content" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
