"use client";

import type { ButtonHTMLAttributes } from "react";

/**
 * Asks before something that cannot be undone. The browser's own dialog: modal, focus-trapped and
 * read out by screen readers without code of ours (and what the end-to-end suite answers).
 */
export function confirmed(question: string | undefined): boolean {
  return question === undefined || window.confirm(question);
}

/** A button that runs `onConfirm` only after the person says yes to `confirm`. */
export function ConfirmButton({
  confirm,
  onConfirm,
  danger = true,
  className,
  ...button
}: Omit<ButtonHTMLAttributes<HTMLButtonElement>, "onClick"> & {
  confirm: string;
  onConfirm: () => void;
  danger?: boolean;
}) {
  return (
    <button
      type="button"
      {...button}
      className={[danger ? "danger" : "", className ?? ""].join(" ").trim() || undefined}
      onClick={() => confirmed(confirm) && onConfirm()}
    />
  );
}
