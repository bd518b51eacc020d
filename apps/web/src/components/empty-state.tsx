import Link from "next/link";
import type { ReactNode } from "react";

export function EmptyState({ title, children, action }: { title: string; children: ReactNode; action?: { href: string; label: string } }) {
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
