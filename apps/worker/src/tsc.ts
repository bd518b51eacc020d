import { startTsc, type Tsc, type TscOptions } from "@nvi/controller";
import { admitSwitch, issueServerCertificate, listenForHostRemovals, type CoreDeps } from "@nvi/core";
import { isIP } from "node:net";
import type { WorkerEnv } from "./env.ts";
import { log } from "./log.ts";

/** The TSC's own certificate lives 30 days and is replaced every day (new connections get the new one). */
const SERVER_CERT_DAYS = 30;
const RENEW_EVERY_MS = 86_400_000;

export interface EmbeddedTsc {
  tsc: Tsc;
  close(): Promise<void>;
}

/**
 * The embedded TSC, secured (issue 13): mutual TLS with its own server certificate from the fabric
 * CA (unless TSC_INSECURE_TCP=1), every switch admitted by Postgres (`admitSwitch`: the host exists,
 * the certificate is its current one, the datapath id is the host's), a removed host's session
 * dropped as soon as its removal commits (LISTEN nvi_host_removed), and every served switch asked
 * again every few seconds (`revalidate`, the backstop for a missed notification).
 */
export async function startEmbeddedTsc(deps: CoreDeps, env: WorkerEnv, options: TscOptions): Promise<EmbeddedTsc> {
  const insecure = env.TSC_INSECURE_TCP === "1";
  const ipAddresses = isIP(env.TSC_BIND_ADDRESS) && env.TSC_BIND_ADDRESS !== "0.0.0.0" ? [env.TSC_BIND_ADDRESS] : [];
  const serverTls = async () => {
    const c = await issueServerCertificate(
      deps,
      { name: "nvi-tsc", ipAddresses, dnsNames: ["nvi-tsc"] },
      SERVER_CERT_DAYS,
    );
    return { key: c.key, cert: c.cert, ca: c.ca };
  };
  const tsc = await startTsc({
    ...options,
    port: env.TSC_OPENFLOW_PORT,
    host: env.TSC_BIND_ADDRESS,
    ...(insecure ? { insecureTcp: true } : { tls: await serverTls() }),
    admit: (claim) => admitSwitch(deps, claim),
  });
  const renew = insecure
    ? undefined
    : setInterval(() => {
        serverTls()
          .then((t) => tsc.setTls(t))
          .catch((e: Error) => log("warn", "tsc: could not renew its certificate", { error: e.message }));
      }, RENEW_EVERY_MS);
  const removals = listenForHostRemovals(
    env.DATABASE_URL,
    (hostId) => void tsc.drop({ hostId }, "host removed"),
    (e) =>
      log("warn", "tsc: host-removal channel failed; reconnecting (revalidation still drops removed hosts)", {
        error: e.message,
      }),
  );
  const revalidator = setInterval(
    () => void tsc.revalidate().catch((e: Error) => log("warn", "tsc: revalidation failed", { error: e.message })),
    5_000,
  );
  return {
    tsc,
    close: async () => {
      clearInterval(renew);
      clearInterval(revalidator);
      await removals.close();
      await tsc.close();
    },
  };
}
