import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { NVI_VERSION, agentPackageFile, defaultControllerTarget } from "@nvi/contracts";

/**
 * What hosts download from the console, public like the join string they are used with:
 * `/install.sh` (the console's address, the release and the controller filled in) and
 * `/downloads/nvi-agent_<version>_amd64.deb`, both from the package directory
 * infra/package/build-deb.sh writes (NVI_PACKAGE_DIR).
 */
export interface AgentDownloads {
  packageDir: string;
  publicUrl: string;
  /** the TSC's OpenFlow target hosts dial; default `ssl:<publicUrl's host>:6653` */
  controller?: string | undefined;
}

const text = (body: string, status: number) =>
  new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

const notBuilt = (what: string) =>
  text(
    `this console has no ${what} to serve yet: run infra/package/build-deb.sh on the console's machine (or set NVI_PACKAGE_DIR)\n`,
    404,
  );

/** Only characters that are safe inside the script's single quotes. */
const SAFE = /^[A-Za-z0-9:/._[\]-]+$/;

export async function installScriptResponse(o: AgentDownloads): Promise<Response> {
  const publicUrl = o.publicUrl.replace(/\/+$/, "");
  const controller = o.controller ?? defaultControllerTarget(publicUrl);
  if (!SAFE.test(publicUrl) || !SAFE.test(controller))
    return text("PUBLIC_URL or NVI_CONTROLLER_TARGET holds characters install.sh cannot carry\n", 500);
  const template = await readFile(path.join(o.packageDir, "install.sh"), "utf8").catch(() => null);
  if (template === null) return notBuilt("install.sh");
  const script = template
    .replaceAll("@PUBLIC_URL@", publicUrl)
    .replaceAll("@VERSION@", NVI_VERSION)
    .replaceAll("@CONTROLLER@", controller);
  return new Response(script, {
    headers: { "content-type": "text/x-shellscript; charset=utf-8", "cache-control": "no-store" },
  });
}

/** The .deb of this console's release; any other name is a 404 (nothing from the URL reaches a path). */
export async function packageResponse(packageDir: string, file: string): Promise<Response> {
  if (file !== agentPackageFile()) return text(`no such package; this console serves ${agentPackageFile()}\n`, 404);
  const full = path.join(packageDir, agentPackageFile());
  const info = await stat(full).catch(() => null);
  if (!info?.isFile()) return notBuilt(agentPackageFile());
  return new Response(Readable.toWeb(createReadStream(full)) as ReadableStream, {
    headers: {
      "content-type": "application/vnd.debian.binary-package",
      "content-length": String(info.size),
      "content-disposition": `attachment; filename="${agentPackageFile()}"`,
    },
  });
}

/** `/install.sh` and `/downloads/<file>` for a plain HTTP server (the lab's stack); null for any other path. */
export function handleAgentDownload(pathname: string, o: AgentDownloads): Promise<Response> | null {
  if (pathname === "/install.sh") return installScriptResponse(o);
  const m = /^\/downloads\/([^/]+)$/.exec(pathname);
  return m ? packageResponse(o.packageDir, decodeURIComponent(m[1]!)) : null;
}
