"use client";

import {
  CLOUD_LINK_MODES,
  GATEWAY_NATS,
  type CloudDto,
  type CloudGatewayDto,
  type CloudLinkDto,
  type CloudLinkMode,
  type GatewayNat,
} from "@nvi/contracts";
import { useQuery } from "@tanstack/react-query";
import { formText } from "../lib/form.ts";
import { useTRPC } from "../trpc/client.tsx";
import { directLinkQuestion, encryptedLinkQuestion, LINK_MODE_WORDS } from "./cloud-link-text.ts";
import { LinkLine } from "./cloud-links.tsx";
import { Badge } from "./ui/badge.tsx";
import { ConfirmButton, confirmed } from "./ui/confirm-button.tsx";
import { useDisclosure } from "./ui/disclosure.ts";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { FormCard, InputField, SelectField } from "./ui/form-card.tsx";
import { problem, useAction, useFormMutation } from "./ui/use-form-mutation.ts";

const HOST_TONE = { online: "ok", stale: "warn", offline: "bad" } as const;
const NAT_LABEL: Record<GatewayNat, string> = {
  none: "on the host",
  "one-to-one": "a 1:1 NAT's (ports kept)",
  "port-rewriting": "a NAT that rewrites ports (it can only dial out)",
};

/** One gateway: its host's status, its tunnels to the other clouds' gateways, and Remove. */
function GatewayLine({ cloud, gateway: g }: { cloud: CloudDto; gateway: CloudGatewayDto }) {
  const trpc = useTRPC();
  const remove = useAction(trpc.cloud.removeGateway.mutationOptions());
  const up = g.tunnels.filter((t) => t.state === "encrypted").length;
  return (
    <li data-testid="cloud-gateway" data-host={g.name}>
      {g.name} at <span className="mono">{g.publicAddress}</span>
      {g.nat !== "none" && (
        <span className="muted"> (behind {g.nat === "one-to-one" ? "1:1 NAT" : "port-rewriting NAT"})</span>
      )}{" "}
      <Badge tone={HOST_TONE[g.status]}>{g.status}</Badge>{" "}
      {g.tunnels.length > 0 && (
        <Badge tone={up === g.tunnels.length ? "ok" : up > 0 ? "warn" : "bad"}>
          {`${up} of ${g.tunnels.length} tunnels encrypted`}
        </Badge>
      )}
      {!g.wireguardPublicKey && <span className="muted"> its agent has reported no WireGuard key yet</span>}{" "}
      <ConfirmButton
        disabled={remove.isPending}
        confirm={`${g.name} will no longer be a gateway of ${cloud.name}: pairs through it move to its other gateways. Go on?`}
        onConfirm={() => remove.mutate({ cloudId: cloud.id, hostId: g.hostId })}
        aria-label={`Remove gateway ${g.name}`}
      >
        Remove
      </ConfirmButton>
      <ul className="plain" style={{ marginLeft: 16 }}>
        {g.tunnels.map((t) => (
          <li key={t.peer.hostId} data-testid="gateway-tunnel" data-state={t.state}>
            → {t.peer.name} ({t.peer.cloudName}, {t.peer.publicAddress}):{" "}
            <Badge tone={t.state === "encrypted" ? "ok" : "bad"}>{t.state}</Badge>{" "}
            <span className="muted">
              {t.state === "encrypted" ? (t.rttMs === null ? "" : `${t.rttMs} ms`) : t.reason}
            </span>
          </li>
        ))}
      </ul>
      <ErrorAlert error={remove.error} />
    </li>
  );
}

/** Add one more gateway: one of the cloud's hosts that is none yet, its public address and NAT. */
function AddGateway({ cloud, taken, onDone }: { cloud: CloudDto; taken: string[]; onDone: () => void }) {
  const trpc = useTRPC();
  const hosts = useQuery(trpc.host.list.queryOptions({ cloudId: cloud.id }));
  const free = (hosts.data ?? []).filter((h) => !taken.includes(h.id));
  const form = useFormMutation(
    trpc.cloud.addGateway.mutationOptions(),
    (f) => {
      const hostId = formText(f, "hostId");
      if (!hostId) return problem("Pick the host that becomes a gateway.");
      return {
        cloudId: cloud.id,
        hostId: hostId as CloudGatewayDto["hostId"],
        publicAddress: formText(f, "publicAddress"),
        nat: formText(f, "nat") as GatewayNat,
      };
    },
    { refresh: "all", onDone },
  );
  return (
    <FormCard
      title={`Add a gateway to ${cloud.name}`}
      heading={3}
      form={form}
      submit="Add gateway"
      onCancel={onDone}
      focusOnOpen
    >
      <div className="row">
        <SelectField
          label="Host"
          name="hostId"
          testId="gateway-host"
          options={free.map((h) => ({ value: h.id, label: `${h.name} (${h.status})` }))}
        >
          {free.length === 0 && <option value="">{hosts.isPending ? "…" : "every host is a gateway already"}</option>}
        </SelectField>
        <InputField label="Public address" name="publicAddress" required className="mono" placeholder="203.0.113.7" />
        <SelectField
          label="The address is"
          name="nat"
          defaultValue="none"
          options={GATEWAY_NATS.map((n) => ({ value: n, label: NAT_LABEL[n] }))}
        />
      </div>
    </FormCard>
  );
}

/**
 * How pairs between this cloud and another gateway cloud cross (owner/admin): encrypted or trusted
 * direct. Either switch asks first (to direct: what stops being encrypted, what the interconnect must do);
 * the API's refusal shows under it, and the links are read again once it is done.
 */
function LinkModePicker({ cloud, link }: { cloud: CloudDto; link: CloudLinkDto }) {
  const trpc = useTRPC();
  const set = useAction(trpc.cloud.setLinkMode.mutationOptions(), { refresh: trpc.cloud.links.queryKey() });
  const peer = link.a.cloudId === cloud.id ? link.b : link.a;
  const choose = (mode: CloudLinkMode) => {
    if (mode === link.mode) return;
    // asked both ways: a select changed by the arrow keys alone never switches a link unasked
    const question = mode === "direct" ? directLinkQuestion : encryptedLinkQuestion;
    if (!confirmed(question(cloud.name, peer.name))) return;
    set.mutate({ cloudId: cloud.id, peerCloudId: peer.cloudId, mode });
  };
  return (
    <div className="row" style={{ marginTop: 4, alignItems: "center" }}>
      <label className="inline">
        Link mode
        <select
          aria-label={`Link mode between ${cloud.name} and ${peer.name}`}
          data-testid="cloud-link-mode"
          value={link.mode}
          disabled={set.isPending}
          onChange={(e) => choose(e.target.value as CloudLinkMode)}
        >
          {CLOUD_LINK_MODES.map((m) => (
            <option key={m} value={m}>
              {LINK_MODE_WORDS[m]}
            </option>
          ))}
        </select>
      </label>
      <ErrorAlert error={set.error} />
    </div>
  );
}

/**
 * A gateway cloud's card: its gateway hosts with their health (add, remove), and its links to the
 * other gateway clouds (with, for an owner or admin, how each crosses).
 */
export function CloudGateways({ cloud }: { cloud: CloudDto }) {
  const trpc = useTRPC();
  const enabled = cloud.interconnect === "gateway";
  const gateways = useQuery(
    trpc.cloud.gateways.queryOptions({ cloudId: cloud.id }, { refetchInterval: 10_000, enabled }),
  );
  const links = useQuery(trpc.cloud.links.queryOptions(undefined, { refetchInterval: 10_000, enabled }));
  // only an owner or admin says how clouds are linked (the API refuses anyone else: ROLE_TOO_LOW)
  const org = useQuery(trpc.org.get.queryOptions(undefined, { enabled }));
  const canLink = org.data?.role === "owner" || org.data?.role === "admin";
  const { open, show, hide, opener } = useDisclosure();
  if (!enabled) return null;
  const mine = (links.data ?? []).filter((l) => l.a.cloudId === cloud.id || l.b.cloudId === cloud.id);
  const list = gateways.data ?? [];
  return (
    <section aria-label={`Gateways of ${cloud.name}`} data-testid="cloud-gateways">
      <h3>Gateways and links</h3>
      {gateways.data && list.length === 0 && (
        <p className="muted">
          No gateway host yet: make one of this cloud&apos;s hosts a gateway to join other clouds.
        </p>
      )}
      {list.length > 1 && (
        <p className="muted">
          New connections spread over the gateways that are up; when one goes, its pairs move to the others.
        </p>
      )}
      <ul className="plain">
        {list.map((g) => (
          <GatewayLine key={g.hostId} cloud={cloud} gateway={g} />
        ))}
      </ul>
      <ErrorAlert error={[gateways.error, links.error]} />
      {!open && (
        <button type="button" ref={opener} onClick={show}>
          Add gateway
        </button>
      )}
      {open && <AddGateway cloud={cloud} taken={list.map((g) => g.hostId)} onDone={hide} />}
      {mine.length > 0 && (
        <ul className="plain">
          {mine.map((l) => (
            <LinkLine
              key={`${l.a.cloudId}-${l.b.cloudId}`}
              link={l}
              other={l.a.cloudId === cloud.id ? l.b.name : l.a.name}
            >
              {canLink && <LinkModePicker cloud={cloud} link={l} />}
            </LinkLine>
          ))}
        </ul>
      )}
    </section>
  );
}
