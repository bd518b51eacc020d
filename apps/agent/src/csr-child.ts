import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { KeyAndCsr } from "@nvi/pki";

/**
 * The switch key and its CSR are made in a short-lived child (`nvi-agent --make-csr CN`), so the
 * X.509 library (@peculiar/x509 with asn1js, ≈8 MB resident in the bundle) never stays in the
 * long-running agent's memory (issue 16: idle RSS under 80 MB). It runs at enrollment and every
 * renewal (20 days); the key reaches the parent over the pipe only and is written 0600 by it.
 */
export const MAKE_CSR_FLAG = "--make-csr";

const run = promisify(execFile);
const PEM = (label: string) => new RegExp(`^-----BEGIN ${label}-----\\n[A-Za-z0-9+/=\\n]+-----END ${label}-----\\n?$`);

/** The child's side: makes the key and CSR and prints them as one line of JSON. */
export async function printKeyAndCsr(commonName: string): Promise<void> {
  const { createKeyAndCsr } = await import("@nvi/pki");
  process.stdout.write(`${JSON.stringify(await createKeyAndCsr(commonName))}\n`);
}

/** The agent's side: the same Node, flags and entry point as this process (`self`), with `--make-csr`. */
export async function keyAndCsrInChild(
  commonName: string,
  self: { execArgv: readonly string[]; entry: string | undefined } = {
    execArgv: process.execArgv,
    entry: process.argv[1],
  },
): Promise<KeyAndCsr> {
  if (!self.entry) throw new Error("cannot tell the agent's own entry point to make a CSR");
  const { stdout } = await run(process.execPath, [...self.execArgv, self.entry, MAKE_CSR_FLAG, commonName], {
    timeout: 60_000,
    maxBuffer: 1 << 20,
  });
  const made = JSON.parse(stdout) as Partial<KeyAndCsr>;
  if (
    typeof made.keyPem !== "string" ||
    typeof made.csrPem !== "string" ||
    !PEM("PRIVATE KEY").test(made.keyPem) ||
    !PEM("CERTIFICATE REQUEST").test(made.csrPem)
  )
    throw new Error("the CSR child printed no key and CSR");
  return { keyPem: made.keyPem, csrPem: made.csrPem };
}
