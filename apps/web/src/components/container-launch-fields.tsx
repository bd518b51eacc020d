"use client";

import { Field } from "./ui/form-card.tsx";

/**
 * The launch form's container part: the command as argv, one argument per line (never a shell
 * line), and the environment, one NAME=value per line. Values may be secrets: the console keeps
 * them encrypted and shows only the names afterwards. Parsed by lib/container-launch.ts.
 */
export function ContainerLaunchFields() {
  return (
    <div className="row">
      <Field
        label="Command (one argument per line)"
        grow
        hint="empty: the image's own; no shell: to use one, write sh, -c and the line on three lines"
      >
        <textarea
          name="commandText"
          className="mono"
          rows={3}
          spellCheck={false}
          placeholder={"sleep\ninfinity"}
          data-testid="launch-command"
        />
      </Field>
      <Field
        label="Environment (NAME=value per line)"
        grow
        hint="values are kept encrypted and never shown again: only the names are"
      >
        <textarea
          name="envText"
          className="mono"
          rows={3}
          spellCheck={false}
          autoComplete="off"
          placeholder={"GREETING=hello\nAPI_TOKEN=…"}
          data-testid="launch-env"
        />
      </Field>
    </div>
  );
}
