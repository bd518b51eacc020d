import type { PolicyProtocol } from "@nvi/contracts";
import { useId } from "react";
import { SelectField } from "./form-card.tsx";
import { hasPorts, PROTOCOL_LABEL } from "./ports.ts";

/** The protocol select (`name="protocol"`), offering the given protocols. */
export function ProtocolSelect<P extends PolicyProtocol>({
  value,
  onChange,
  protocols,
}: {
  value: P;
  onChange: (p: P) => void;
  protocols: readonly P[];
}) {
  return (
    <SelectField
      label="Protocol"
      name="protocol"
      value={value}
      onChange={onChange}
      options={protocols.map((p) => ({ value: p, label: PROTOCOL_LABEL[p] }))}
    />
  );
}

/** One port (`name="port"`, 1–65535), shown only for a protocol with ports; `presets` are suggested. */
export function PortField({
  protocol,
  defaultValue,
  presets = [],
}: {
  protocol: string;
  defaultValue: number;
  presets?: readonly number[];
}) {
  const list = useId();
  if (!hasPorts(protocol)) return null;
  return (
    <label>
      Port
      <input
        name="port"
        type="number"
        min={1}
        max={65535}
        required
        defaultValue={defaultValue}
        list={presets.length ? list : undefined}
      />
      {presets.length > 0 && (
        <datalist id={list}>
          {presets.map((p) => (
            <option key={p} value={p} />
          ))}
        </datalist>
      )}
    </label>
  );
}

/** A port list (`name="ports"`: `443`, `80,443`, `8000-8080`; empty = every port), off for protocols without ports. */
export function PortsField({
  protocol,
  value,
  onChange,
}: {
  protocol: string;
  value: string;
  onChange: (ports: string) => void;
}) {
  const on = hasPorts(protocol);
  return (
    <label>
      Ports
      <input
        name="ports"
        className="mono"
        value={on ? value : ""}
        disabled={!on}
        onChange={(e) => onChange(e.target.value)}
        placeholder="every port"
        title="443, 80,443 or 8000-8080; empty = every port"
      />
    </label>
  );
}
