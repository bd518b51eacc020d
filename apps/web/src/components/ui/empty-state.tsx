import Link from "next/link";
import type { ReactNode } from "react";

/** What a page shows with nothing in it yet: what the thing is, and where to start. */
export function EmptyState({
  title,
  children,
  action,
}: {
  title: string;
  children: ReactNode;
  action?: { href: string; label: string } | undefined;
}) {
  return (
    <div className="empty">
      <h2>{title}</h2>
      {children}
      {action && (
        <p>
          <Link className="button primary" href={action.href}>
            {action.label}
          </Link>
        </p>
      )}
    </div>
  );
}
