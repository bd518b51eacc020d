import type { ReactNode } from "react";

interface Pickable {
  id: string;
  name: string;
  address: string;
}

/**
 * A select of instances by name and address (`web-1 (10.0.1.2)`), the value being the id.
 * Controlled when `value` is given; `children` adds options after the instances.
 */
export function InstancePicker({ label, name, instances, value, onChange, children }: { label: string; name: string; instances: readonly Pickable[]; value?: string; onChange?: (id: string) => void; children?: ReactNode }) {
  return (
    <label>
      {label}
      <select name={name} {...(value !== undefined ? { value } : {})} onChange={onChange && ((e) => onChange(e.target.value))}>
        {instances.map((i) => (
          <option key={i.id} value={i.id}>
            {i.name} ({i.address})
          </option>
        ))}
        {children}
      </select>
    </label>
  );
}
