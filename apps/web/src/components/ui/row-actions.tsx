"use client";

import * as Menu from "@radix-ui/react-dropdown-menu";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
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
 *
 * A menu per row is a hundred menus per page, and hydrating them was a good part of a table page's
 * time to interactive (bench/console). So the button comes alone, and its menu is mounted the first
 * time a pointer comes over it or it takes the focus, or opened at once when it is pressed first; a
 * button that had the focus keeps it across the swap.
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
  const [armed, setArmed] = useState(false);
  const [open, setOpen] = useState(false);
  const trigger = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);
  useEffect(() => {
    if (armed && refocus.current) {
      refocus.current = false;
      trigger.current?.focus();
    }
  }, [armed]);
  const items = actions.filter((a): a is RowAction => !!a);
  if (items.length === 0) return null;
  const button = { type: "button", className: "row-actions", "aria-label": label, title: label } as const;
  /** the menu mounts (open, when asked); a button that has the focus (even from before hydration) keeps it */
  const arm = (e: { currentTarget: HTMLButtonElement }, opening: boolean) => {
    if (e.currentTarget === document.activeElement) refocus.current = true;
    setArmed(true);
    if (opening) setOpen(true);
  };
  /**
   * A screen reader's "press" focuses the button and clicks it in one task; React swaps the button
   * for the menu's trigger between the two (a microtask), so the click reaches a button no longer in
   * the page, where React does not hear it. That button itself still does: the click opens the menu.
   */
  const armOnFocus = (e: { currentTarget: HTMLButtonElement }) => {
    e.currentTarget.addEventListener("click", () => setOpen(true), { once: true });
    arm(e, false);
  };
  if (!armed)
    return (
      <button
        {...button}
        data-testid={testId}
        aria-haspopup="menu"
        aria-expanded={false}
        onPointerEnter={(e) => arm(e, false)}
        onFocus={armOnFocus}
        // a press faster than React's render after pointerenter (a continuous event, rendered later)
        // lands here: the menu comes open, and the press's mousedown (which would focus the cell
        // around this button, gone by then, and so close the menu) is not sent, as Radix does
        onPointerDown={(e) => {
          if (e.button !== 0 || e.ctrlKey) return;
          e.preventDefault();
          arm(e, true);
        }}
        onClick={(e) => {
          refocus.current = true;
          arm(e, true);
        }}
      >
        ⋯
      </button>
    );
  return (
    <Menu.Root modal={false} open={open} onOpenChange={setOpen}>
      <Menu.Trigger asChild>
        <button {...button} ref={trigger} data-testid={testId}>
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
