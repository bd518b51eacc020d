"use client";

import * as Menu from "@radix-ui/react-dropdown-menu";
import Link from "next/link";
import { confirmed } from "./confirm-button.tsx";

export interface RowAction {
  label: string;
  /** runs on choice (after `confirm`, when given) */
  onSelect?: () => void;
  /** a link instead of an action */
  href?: string;
  /** asked first; the action runs only on yes */
  confirm?: string;
  danger?: boolean;
  disabled?: boolean;
  testId?: string;
}

/**
 * Every action of a table row behind one "⋯" button. Radix's menu does the accessibility work:
 * focus moves into the menu and back, arrow keys, typeahead, Escape, roles and `aria-expanded`.
 * Pass `false`/`null` for an action the row's state doesn't allow; with none left, nothing shows.
 */
export function RowActions({
  label,
  actions,
  testId,
}: {
  label: string;
  actions: (RowAction | false | null | undefined)[];
  testId?: string;
}) {
  const items = actions.filter((a): a is RowAction => !!a);
  if (items.length === 0) return null;
  return (
    <Menu.Root modal={false}>
      <Menu.Trigger asChild>
        <button type="button" className="row-actions" aria-label={label} title={label} data-testid={testId}>
          ⋯
        </button>
      </Menu.Trigger>
      <Menu.Portal>
        <Menu.Content className="menu" align="end" sideOffset={4} loop>
          {items.map((a) =>
            a.href ? (
              <Menu.Item key={a.label} asChild disabled={a.disabled}>
                <Link className="menu-item" href={a.href} data-testid={a.testId}>
                  {a.label}
                </Link>
              </Menu.Item>
            ) : (
              <Menu.Item
                key={a.label}
                className={`menu-item${a.danger ? " danger" : ""}`}
                disabled={a.disabled}
                data-testid={a.testId}
                onSelect={() => confirmed(a.confirm) && a.onSelect?.()}
              >
                {a.label}
              </Menu.Item>
            ),
          )}
        </Menu.Content>
      </Menu.Portal>
    </Menu.Root>
  );
}
