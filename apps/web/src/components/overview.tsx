"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "../trpc/client.tsx";
import { PageHeader } from "./ui/page-header.tsx";

const STEPS = [
  {
    href: "/clouds",
    title: "Register a cloud",
    text: "Add a Docker host, VM host or bare-metal server; its agent dials out to this console.",
  },
  { href: "/vpcs", title: "Draw a VPC", text: "One private CIDR across the clouds you pick. No overlay, no MTU loss." },
  {
    href: "/instances",
    title: "Launch instances",
    text: "Containers, VMs or namespaces, placed in a subnet of your VPC.",
  },
  {
    href: "/policies",
    title: "Plug groups together",
    text: "Default deny; allow group to group with ports, and unplug at once.",
  },
  {
    href: "/tokens",
    title: "Automate",
    text: "Create a scoped API token and drive everything over /api/v1 or the CLI.",
  },
  { href: "/settings", title: "Invite your team", text: "Owners, admins, members and viewers, by invitation link." },
];

export function Overview() {
  const trpc = useTRPC();
  const me = useQuery(trpc.me.get.queryOptions());
  return (
    <>
      <PageHeader
        title={me.data?.organization.name ?? "…"}
        titleTestId="org-name"
        lead={
          me.data ? (
            <>
              You are <strong>{me.data.organization.role}</strong> here. Next steps:
            </>
          ) : (
            "Loading…"
          )
        }
      />
      <div className="grid2">
        {STEPS.map((s, i) => (
          <Link key={s.href} href={s.href} className="card" style={{ color: "inherit" }}>
            <div className="muted">Step {i + 1}</div>
            <h2 style={{ marginTop: 4 }}>{s.title}</h2>
            <div className="muted">{s.text}</div>
          </Link>
        ))}
      </div>
    </>
  );
}
