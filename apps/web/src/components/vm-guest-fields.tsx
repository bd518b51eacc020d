"use client";

import { MAX_SSH_KEYS, MAX_USER_DATA_CHARS } from "@nvi/contracts";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "../trpc/client.tsx";
import { Field } from "./ui/form-card.tsx";
import { problem, type FormProblem } from "./ui/use-form-mutation.ts";

/** A VM launch's guest fields, as the launch form submits them (absent when left empty). */
export function readVmGuest(form: FormData): { sshKeyIds?: string[]; userData?: string } | FormProblem {
  const sshKeyIds = form.getAll("sshKeyIds").filter((v): v is string => typeof v === "string");
  const raw = form.get("userData");
  const userData = typeof raw === "string" && raw.trim() !== "" ? raw : undefined;
  if (sshKeyIds.length > MAX_SSH_KEYS) return problem(`choose at most ${MAX_SSH_KEYS} SSH keys`);
  if (userData && userData.length > MAX_USER_DATA_CHARS)
    return problem(`user-data is at most ${MAX_USER_DATA_CHARS} characters (it has ${userData.length})`);
  return { ...(sshKeyIds.length ? { sshKeyIds } : {}), ...(userData ? { userData } : {}) };
}

const USER_DATA_EXAMPLE = `#cloud-config
chpasswd:
  expire: false
  users:
    - {name: debian, password: choose-one, type: text}`;

/**
 * What a VM's guest gets at its first boot (cloud-init, e.g. the Debian 12 image): the
 * organization's SSH keys to choose from, and user-data, with its size against the limit.
 */
export function VmGuestFields() {
  const trpc = useTRPC();
  const keys = useQuery(trpc.sshKey.list.queryOptions());
  const [userData, setUserData] = useState("");
  return (
    <div className="row" style={{ alignItems: "flex-start" }}>
      <fieldset style={{ border: "none", padding: 0, margin: 0, minWidth: 220 }} data-testid="launch-ssh-keys">
        <legend style={{ fontWeight: 500 }}>SSH keys</legend>
        {keys.data?.length === 0 && (
          <p className="muted" style={{ margin: "4px 0" }}>
            None yet: <Link href="/ssh-keys">add one</Link>.
          </p>
        )}
        {keys.data?.map((k) => (
          <label key={k.id} style={{ flexDirection: "row", alignItems: "center", fontWeight: 400 }}>
            <input type="checkbox" name="sshKeyIds" value={k.id} />
            <span>
              {k.name} <span className="muted mono">{k.fingerprint.slice(0, 20)}…</span>
            </span>
          </label>
        ))}
      </fieldset>
      <Field
        label="User-data"
        grow
        hint={
          <span data-testid="user-data-size">
            cloud-init user-data (e.g. #cloud-config), kept encrypted; {userData.length.toLocaleString("en")} /{" "}
            {MAX_USER_DATA_CHARS.toLocaleString("en")} characters
          </span>
        }
      >
        <textarea
          name="userData"
          rows={5}
          className="mono"
          spellCheck={false}
          maxLength={MAX_USER_DATA_CHARS}
          placeholder={USER_DATA_EXAMPLE}
          value={userData}
          onChange={(e) => setUserData(e.target.value)}
        />
      </Field>
    </div>
  );
}
