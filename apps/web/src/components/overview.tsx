"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { networkSummary } from "../lib/network-summary.ts";
import { useTRPC } from "../trpc/client.tsx";
import { useLiveUpdates } from "./live.tsx";
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

/** The state of the network, each tile linked to the page with the detail; live like the pages it sums up. */
function NetworkState() {
  const trpc = useTRPC();
  useLiveUpdates();
  const hosts = useQuery(trpc.host.list.queryOptions({}));
  const instances = useQuery(trpc.instance.counts.queryOptions({}));
  const operations = useQuery(trpc.operation.list.queryOptions({ limit: 100 }));
  const realization = useQuery(trpc.policy.realization.queryOptions());
  if (!hosts.data || !instances.data) return null;
  const tiles = networkSummary({
    hosts: hosts.data,
    instances: instances.data,
    operations: operations.data ?? [],
    realization: realization.data ?? [],
  });
  return (
    <section aria-label="State of the network" className="grid4" data-testid="network-state">
      {tiles.map((t) => (
        <Link key={t.key} href={t.href} className={`card tile ${t.tone}`} data-testid={`state-${t.key}`}>
          <div className="muted">{t.title}</div>
          <div className="tile-value">{t.value}</div>
          <div className="muted">{t.detail}</div>
        </Link>
      ))}
    </section>
  );
}

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
      <NetworkState />
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
