import { SelectField, type Option } from "./form-card.tsx";

interface Pickable {
  id: string;
  name: string;
  address: string;
}

/**
 * A select of instances by name and address (`web-1 (10.0.1.2)`), the value being the id.
 * Controlled when `value` is given; `extra` choices follow the instances ("an address…").
 */
export function InstancePicker({
  label,
  name,
  instances,
  value,
  onChange,
  extra = [],
}: {
  label: string;
  name: string;
  instances: readonly Pickable[];
  value?: string;
  onChange?: (id: string) => void;
  extra?: readonly Option<string>[];
}) {
  return (
    <SelectField
      label={label}
      name={name}
      {...(value !== undefined ? { value } : {})}
      {...(onChange ? { onChange } : {})}
      options={[...instances.map((i) => ({ value: i.id, label: `${i.name} (${i.address})` })), ...extra]}
    />
  );
}
