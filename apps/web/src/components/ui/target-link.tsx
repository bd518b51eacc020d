import Link from "next/link";

/** Where each kind of object is shown in the console (its page; the row carries the id as its anchor). */
const PAGE: Record<string, string> = {
  instance: "/instances",
  host: "/clouds",
  cloud: "/clouds",
  join_token: "/clouds",
  vpc: "/vpcs",
  subnet: "/vpcs",
  group: "/policies",
  rule: "/policies",
  deny: "/policies",
  peering: "/policies",
  policy: "/policies",
  token: "/tokens",
  ssh_key: "/ssh-keys",
  member: "/settings",
  invitation: "/settings",
  organization: "/settings",
  operation: "/operations",
};

export function targetHref(type: string, id: string | null): string | null {
  const page = PAGE[type];
  if (!page) return null;
  if (type === "operation" && id) return `/operations?target=${encodeURIComponent(id)}`;
  return id ? `${page}#${encodeURIComponent(id)}` : page;
}

/**
 * An object as people read it: its name, linked to where it lives, with its kind; the id only as a
 * tooltip (and as the name when the object never had one).
 */
export function TargetLink({ type, id, name }: { type: string; id: string | null; name: string | null }) {
  const href = targetHref(type, id);
  const text = name ?? id ?? type;
  return (
    <span className="target" title={id ?? undefined}>
      <span className="muted">{type.replace("_", " ")}</span>{" "}
      {href ? (
        <Link href={href} data-testid="target-link">
          {text}
        </Link>
      ) : (
        text
      )}
    </span>
  );
}
