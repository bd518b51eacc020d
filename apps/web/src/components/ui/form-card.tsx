import {
  useEffect,
  useRef,
  type CSSProperties,
  type FormEvent,
  type InputHTMLAttributes,
  type ReactNode,
  type Ref,
} from "react";
import { ErrorAlert } from "./error-alert.tsx";

/** A labelled field: the label text above its control; `grow` takes the row's spare width. */
export function Field({
  label,
  grow = false,
  children,
  hint,
}: {
  label: ReactNode;
  grow?: boolean;
  children: ReactNode;
  hint?: ReactNode;
}) {
  return (
    <label style={grow ? { flex: 1 } : undefined}>
      {label}
      {children}
      {hint && <span className="muted">{hint}</span>}
    </label>
  );
}

/** A labelled `<input>`: `Field` around an input that gets every other prop (name, type, placeholder…). */
export function InputField({
  label,
  grow = false,
  hint,
  ...input
}: { label: ReactNode; grow?: boolean; hint?: ReactNode } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <Field label={label} grow={grow} hint={hint}>
      <input {...input} />
    </Field>
  );
}

export type Option<V extends string> = V | { value: V; label: ReactNode; disabled?: boolean };

/**
 * A labelled select. Options are values (shown as they are) or `{ value, label }`; controlled
 * when `value` is given, else `defaultValue` starts it.
 */
export function SelectField<V extends string>({
  label,
  name,
  options,
  value,
  defaultValue,
  onChange,
  disabled,
  testId,
  grow = false,
  children,
}: {
  label: ReactNode;
  name?: string;
  options: readonly Option<V>[];
  value?: V;
  defaultValue?: V;
  onChange?: (value: V) => void;
  disabled?: boolean;
  testId?: string;
  grow?: boolean;
  /** options before the listed ones (an "any" or "automatic" choice) */
  children?: ReactNode;
}) {
  return (
    <Field label={label} grow={grow}>
      <select
        name={name}
        data-testid={testId}
        disabled={disabled}
        {...(value !== undefined ? { value } : {})}
        {...(defaultValue !== undefined ? { defaultValue } : {})}
        onChange={onChange && ((e) => onChange(e.target.value as V))}
      >
        {children}
        {options.map((o) =>
          typeof o === "string" ? (
            <option key={o} value={o}>
              {o}
            </option>
          ) : (
            <option key={o.value} value={o.value} disabled={o.disabled}>
              {o.label}
            </option>
          ),
        )}
      </select>
    </Field>
  );
}

/** The submit button (busy while the mutation runs) and, when given, Cancel. */
export function FormButtons({
  submit,
  pending = false,
  disabled = false,
  onCancel,
  cancelLabel = "Cancel",
  primary = true,
}: {
  submit: ReactNode;
  pending?: boolean;
  disabled?: boolean;
  onCancel?: () => void;
  cancelLabel?: string;
  primary?: boolean;
}) {
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

/** What a form card needs of its form hook (`useFormMutation`, `useFormSubmit`): the form's props, its error, whether it is sending. */
export interface FormState {
  formProps: { ref?: Ref<HTMLFormElement>; onSubmit: (e: FormEvent<HTMLFormElement>) => void };
  error?: unknown;
  pending?: boolean;
}

/**
 * A form in a card: its title (also the form's accessible name unless `label` says otherwise),
 * the fields, the error, anything to show after it (a result), then the buttons. With `focusOnOpen`
 * (a form a button opened) its first field takes the focus when it appears; Escape inside it cancels.
 */
export function FormCard({
  title,
  label,
  form: { formProps, error, pending },
  submit,
  disabled,
  onCancel,
  cancelLabel,
  after,
  heading = 2,
  style,
  focusOnOpen = false,
  children,
}: {
  title: ReactNode;
  label?: string;
  form: FormState;
  submit: ReactNode;
  disabled?: boolean;
  onCancel?: () => void;
  cancelLabel?: string;
  after?: ReactNode;
  heading?: 2 | 3;
  style?: CSSProperties;
  focusOnOpen?: boolean;
  children: ReactNode;
}) {
  const Heading = heading === 2 ? "h2" : "h3";
  const head = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focusOnOpen) head.current?.parentElement?.querySelector<HTMLElement>("input, select, textarea")?.focus();
  }, [focusOnOpen]);
  return (
    <form
      className="card form"
      aria-label={label ?? (typeof title === "string" ? title : undefined)}
      style={style}
      onKeyDown={
        onCancel &&
        ((e) => {
          if (e.key !== "Escape") return;
          e.preventDefault();
          onCancel();
        })
      }
      {...formProps}
    >
      <Heading ref={head} style={{ marginTop: 0 }}>
        {title}
      </Heading>
      {children}
      <ErrorAlert error={error} />
      {after}
      <FormButtons
        submit={submit}
        {...(pending !== undefined ? { pending } : {})}
        {...(disabled !== undefined ? { disabled } : {})}
        {...(onCancel ? { onCancel } : {})}
        {...(cancelLabel ? { cancelLabel } : {})}
      />
    </form>
  );
}
