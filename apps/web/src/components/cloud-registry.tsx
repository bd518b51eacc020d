"use client";

import type { CloudDto } from "@nvi/contracts";
import { useQuery } from "@tanstack/react-query";
import { formText } from "../lib/form.ts";
import { useTRPC } from "../trpc/client.tsx";
import { ConfirmButton } from "./ui/confirm-button.tsx";
import { useDisclosure } from "./ui/disclosure.ts";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { FormCard, InputField } from "./ui/form-card.tsx";
import { useAction, useFormMutation } from "./ui/use-form-mutation.ts";

/**
 * The registry a cloud's hosts pull container images from, on the cloud's card: server and
 * account, the password only as "set" or "not set" (the API never returns it). Editing leaves the
 * password as it is when the field stays empty (for the same server and username); a new server
 * forgets it.
 */
export function CloudRegistry({ cloud }: { cloud: CloudDto }) {
  const trpc = useTRPC();
  const registry = useQuery(trpc.cloud.registry.queryOptions({ cloudId: cloud.id }));
  const { open, show, hide, opener } = useDisclosure();
  const refresh = trpc.cloud.registry.queryKey({ cloudId: cloud.id });
  const clear = useAction(trpc.cloud.clearRegistry.mutationOptions(), { refresh });
  const form = useFormMutation(
    trpc.cloud.setRegistry.mutationOptions(),
    (f) => {
      const username = formText(f, "username");
      const password = f.get("password");
      return {
        cloudId: cloud.id,
        server: formText(f, "server"),
        username: username === "" ? null : username,
        ...(typeof password === "string" && password !== "" ? { password } : {}),
      };
    },
    { refresh, onDone: hide },
  );
  const r = registry.data;
  return (
    <div data-testid={`registry-${cloud.name}`}>
      <p>
        <strong>Image registry:</strong>{" "}
        {r?.server ? (
          <>
            <span className="mono">{r.server}</span>
            {r.username ? (
              <>
                {" "}
                as <span className="mono">{r.username}</span>, password{" "}
                <span data-testid="registry-password">{r.password}</span>
              </>
            ) : (
              " without an account"
            )}
            . Hosts pull images that name it when they do not have them.
          </>
        ) : (
          <span className="muted">{registry.isPending ? "…" : "none: images must already be on the hosts."}</span>
        )}{" "}
        {!open && (
          <button type="button" ref={opener} onClick={show}>
            {r?.server ? "Edit registry" : "Set registry"}
          </button>
        )}{" "}
        {r?.server && !open && (
          <ConfirmButton
            disabled={clear.isPending}
            confirm={`Forget ${cloud.name}'s registry and its account?`}
            onConfirm={() => clear.mutate({ cloudId: cloud.id })}
          >
            Remove registry
          </ConfirmButton>
        )}
      </p>
      <ErrorAlert error={[registry.error, clear.error]} />
      {open && (
        <FormCard
          title={`Image registry of ${cloud.name}`}
          heading={3}
          form={form}
          submit="Save registry"
          onCancel={hide}
          focusOnOpen
        >
          <div className="row">
            <InputField
              label="Server"
              grow
              name="server"
              required
              className="mono"
              defaultValue={r?.server ?? ""}
              placeholder="registry.example.com:5000"
            />
            <InputField label="Username" name="username" defaultValue={r?.username ?? ""} autoComplete="off" />
            <InputField
              label="Password or token"
              name="password"
              type="password"
              autoComplete="new-password"
              placeholder={r?.password === "set" ? "unchanged" : ""}
              hint="kept encrypted, never shown again"
            />
          </div>
        </FormCard>
      )}
    </div>
  );
}
