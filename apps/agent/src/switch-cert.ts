import { X509Certificate } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { FabricCertificate } from "@nvi/contracts";
import type { KeyAndCsr } from "@nvi/pki";
import type { Runner } from "./runner.ts";

/** A certificate's expiry by Node's own X.509 parser (the agent keeps @nvi/pki for CSRs only), or null if it does not parse. */
function notAfterOf(pem: string): Date | null {
  try {
    return new Date(new X509Certificate(pem).validTo);
  } catch {
    return null;
  }
}

/** Renew when less than this is left (certificates live 30 days: renewal starts after 20). */
const RENEW_BEFORE_MS = 10 * 86_400_000;

export interface SwitchCertFiles {
  key: string;
  cert: string;
  ca: string;
}

/**
 * The VEB's OpenFlow identity: a private key made on this host (it never leaves it; only the CSR
 * is sent), the certificate the console's CA signed for it (naming this host and its datapath id)
 * and the CA certificate the TSC is trusted by. Kept in `<state dir>/openflow/` (directory 0700,
 * files 0600), one generation per certificate (`switch-<n>.key|crt`), handed to Open vSwitch with
 * one `ovs-vsctl set-ssl` so the key and certificate change together; older generations are removed.
 */
export class SwitchCertificate {
  private pending: KeyAndCsr | null = null;
  readonly dir: string;

  /** `makeKeyAndCsr`: in this process by default (tests); the agent passes `keyAndCsrInChild` (csr-child.ts). */
  constructor(
    stateDir: string,
    private readonly run: Runner,
    private readonly now: () => number = Date.now,
    private readonly makeKeyAndCsr: (commonName: string) => Promise<KeyAndCsr> = async (cn) =>
      (await import("@nvi/pki")).createKeyAndCsr(cn),
  ) {
    this.dir = path.join(stateDir, "openflow");
  }

  /** The installed generation, newest first; null before the first certificate. */
  async current(): Promise<SwitchCertFiles | null> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const gens = names.flatMap((n) => /^switch-(\d+)\.crt$/.exec(n)?.[1] ?? []).sort((a, b) => Number(b) - Number(a));
    const [gen] = gens;
    if (!gen) return null;
    return {
      key: path.join(this.dir, `switch-${gen}.key`),
      cert: path.join(this.dir, `switch-${gen}.crt`),
      ca: path.join(this.dir, "ca.crt"),
    };
  }

  /** No certificate yet, or renewal is due. */
  async due(): Promise<boolean> {
    const files = await this.current();
    if (!files) return true;
    const notAfter = notAfterOf(await readFile(files.cert, "utf8").catch(() => ""));
    return !notAfter || notAfter.getTime() - this.now() < RENEW_BEFORE_MS;
  }

  /** A CSR for a new key (the same one until a certificate for it arrives). */
  async request(commonName: string): Promise<string> {
    this.pending ??= await this.makeKeyAndCsr(commonName);
    return this.pending.csrPem;
  }

  /** Writes the certificate beside the key it was made for and points Open vSwitch at them. */
  async install(certificate: FabricCertificate): Promise<SwitchCertFiles> {
    const pending = this.pending;
    if (!pending) throw new Error("a certificate arrived for no request of ours");
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const gen = String(this.now());
    const files = {
      key: path.join(this.dir, `switch-${gen}.key`),
      cert: path.join(this.dir, `switch-${gen}.crt`),
      ca: path.join(this.dir, "ca.crt"),
    };
    const write = async (file: string, text: string): Promise<void> => {
      await writeFile(`${file}.tmp`, text, { mode: 0o600 });
      await rename(`${file}.tmp`, file);
    };
    await write(files.key, pending.keyPem);
    await write(files.ca, certificate.caCert);
    // the certificate last: its presence is what makes a generation current
    await write(files.cert, certificate.cert);
    this.pending = null;
    await this.configure(files);
    const keep = new Set([path.basename(files.key), path.basename(files.cert), "ca.crt"]);
    for (const n of await readdir(this.dir))
      if (/^switch-\d+\.(key|crt)$/.test(n) && !keep.has(n)) await rm(path.join(this.dir, n), { force: true });
    return files;
  }

  /** `ovs-vsctl set-ssl` when Open vSwitch is not already using these files. */
  async configure(files: SwitchCertFiles | null = null): Promise<boolean> {
    const f = files ?? (await this.current());
    if (!f) return false;
    const now = await this.run("ovs-vsctl", ["get-ssl"]).catch(() => "");
    const configured = [`Private key: ${f.key}`, `Certificate: ${f.cert}`, `CA Certificate: ${f.ca}`].every((line) =>
      now.includes(line),
    );
    if (!configured) await this.run("ovs-vsctl", ["set-ssl", f.key, f.cert, f.ca]);
    return true;
  }
}
