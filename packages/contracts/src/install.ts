import { NVI_VERSION } from "./version.ts";

/**
 * How a host installs the agent from the console: the one line Clouds → Add host shows, the
 * upgrade line for hosts whose agent is older, and the package's name. Pure strings, shared by the
 * console's server (which serves install.sh and the .deb) and its pages.
 */
export const agentPackageFile = (version: string = NVI_VERSION) => `nvi-agent_${version}_amd64.deb`;

const base = (publicUrl: string) => publicUrl.replace(/\/+$/, "");

/** `curl -fsSL <PUBLIC_URL>/install.sh | sudo sh -s -- 'nvj_…@<PUBLIC_URL>'` */
export const installCommand = (publicUrl: string, joinString: string) =>
  `curl -fsSL ${base(publicUrl)}/install.sh | sudo sh -s -- '${joinString}'`;

/** Keeps the host's enrollment and configuration; the package restarts the agent (traffic keeps flowing). */
export const upgradeCommand = (publicUrl: string) =>
  `curl -fsSL ${base(publicUrl)}/install.sh | sudo sh -s -- --upgrade`;

/** The console's address names this machine only (another server would dial itself). */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return false;
  }
  return (
    host === "localhost" || host.endsWith(".localhost") || /^127\./.test(host) || host === "::1" || host === "0.0.0.0"
  );
}

/** The TSC's OpenFlow target hosts dial when the operator names none: the console's host name, port 6653, mutual TLS. */
export const defaultControllerTarget = (publicUrl: string) => `ssl:${new URL(publicUrl).hostname}:6653`;
