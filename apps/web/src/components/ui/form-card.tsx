import type { CSSProperties, FormEvent, ReactNode, Ref } from "react";
import { ErrorAlert } from "./error-alert.tsx";

/** A labelled field: the label text above its control; `grow` takes the row's spare width. */
export function Field({ label, grow = false, children, hint }: { label: ReactNode; grow?: boolean; children: ReactNode; hint?: ReactNode }) {
  return (
    <label style={grow ? { flex: 1 } : undefined}>
      {label}
      {children}
      {hint && <span className="muted">{hint}</span>}
    </label>
  );
}

/** The submit button (busy while the mutation runs) and, when given, Cancel. */
export function FormButtons({ submit, pending = false, disabled = false, onCancel, cancelLabel = "Cancel", primary = true }: { submit: ReactNode; pending?: boolean; disabled?: boolean; onCancel?: () => void; cancelLabel?: string; primary?: boolean }) {
  return (
    <div className="row">
      <button className={primary ? "primary" : undefined} type="submit" disabled={pending || disabled}>
        {submit}
      </button>
      {onCancel && (
        <button type="button" onClick={onCancel}>
          {cancelLabel}
        </button>
      )}
    </div>
  );
}

/**
 * A form in a card: its title (also the form's accessible name unless `label` says otherwise),
 * the fields, the error, anything to show after it (a result), then the buttons.
 */
export function FormCard({
  title,
  label,
  formProps,
  error,
  submit,
  pending,
  disabled,
  onCancel,
  cancelLabel,
  after,
  heading = 2,
  style,
  children,
}: {
  title: ReactNode;
  label?: string;
  formProps: { ref?: Ref<HTMLFormElement>; onSubmit: (e: FormEvent<HTMLFormElement>) => void };
  error?: unknown;
  submit: ReactNode;
  pending?: boolean;
  disabled?: boolean;
  onCancel?: () => void;
  cancelLabel?: string;
  after?: ReactNode;
  heading?: 2 | 3;
  style?: CSSProperties;
  children: ReactNode;
}) {
  const Heading = heading === 2 ? "h2" : "h3";
  return (
    <form className="card form" aria-label={label ?? (typeof title === "string" ? title : undefined)} style={style} {...formProps}>
      <Heading style={{ marginTop: 0 }}>{title}</Heading>
      {children}
      <ErrorAlert error={error} />
      {after}
      <FormButtons submit={submit} {...(pending !== undefined ? { pending } : {})} {...(disabled !== undefined ? { disabled } : {})} {...(onCancel ? { onCancel } : {})} {...(cancelLabel ? { cancelLabel } : {})} />
    </form>
  );
}
