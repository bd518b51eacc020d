import type { ReactNode } from "react";

/**
 * The title block of a page (level 1) or of a section or card (level 2/3): heading, a lead line
 * under it and the actions (a primary button, a picker) on the right.
 */
export function PageHeader({
  title,
  lead,
  actions,
  level = 1,
  titleTestId,
}: {
  title: ReactNode;
  lead?: ReactNode;
  actions?: ReactNode;
  level?: 1 | 2 | 3;
  titleTestId?: string;
}) {
  const Heading = level === 1 ? "h1" : level === 2 ? "h2" : "h3";
  return (
    <div className={`page-header level-${level}`}>
      <div>
        <Heading data-testid={titleTestId}>{title}</Heading>
        {lead && (level === 1 ? <p className="lead">{lead}</p> : <div>{lead}</div>)}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}
