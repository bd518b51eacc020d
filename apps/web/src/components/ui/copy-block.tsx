"use client";

import type { ReactNode } from "react";

/** Something to paste elsewhere (a join command, an invitation link, a token): shown whole, with Copy. */
export function CopyBlock({ text, testId, children }: { text: string; testId?: string; children?: ReactNode }) {
  return (
    <>
      <pre data-testid={testId}>{text}</pre>
      <div className="row">
        <button type="button" onClick={() => void navigator.clipboard?.writeText(text)}>
          Copy
        </button>
        {children}
      </div>
    </>
  );
}
