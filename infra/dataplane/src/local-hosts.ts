import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer as createTcpServer, connect, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { createCoreDeps, issueServerCertificate } from "@nvi/core";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { labDown, labUp, LabError, readState, startAgent, type LabState } from "@nvi/lab";
import { z } from "zod";
import { startDockerd, type Dockerd } from "./dockerd.ts";
import { stackEnv } from "./env.ts";
import { releaseLabIdentities } from "./release-identities.ts";

/**
 * "Hosts" for a console running on this machine: a lab of N datacenters (each host its own network
 * namespace with its own Open vSwitch, the datacenters joined by a router), a private dockerd with a
 * local busybox image, and a TCP relay from the lab's management address to the console (agents
 * live in their host's namespace, where the console's 127.0.0.1 is not theirs). The relay is the
 * agents' HTTPS endpoint: it terminates TLS with a certificate from the fabric CA (the console's
 * own, FABRIC_CA_SECRET/AUTH_SECRET) and agents trust that CA (NODE_EXTRA_CA_CERTS). An agent joins
 * with a join token from the console exactly as on a real server: `join --dc 1 'nvj_…'`.
 * The worker's TSC listens on the lab's management address (`tscIp` in the state file).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export const LocalHostsState = z.object({
  lab: z.string(),
  tscIp: z.string(),
  tscPort: z.number().int(),
  controlUrl: z.string(),
  dockerHost: z.string(),
  dockerImage: z.string(),
  pid: z.number().int(),
  /** the fabric CA's certificate: what agents trust the HTTPS relay by */
  caFile: z.string(),
});
export type LocalHostsState = z.infer<typeof LocalHostsState>;

export interface LocalHosts {
  state: LocalHostsState;
  lab: LabState;
  close(): Promise<void>;
}

/** The agent users install: the bundle the .deb ships (build it first: `buildAgentBundle`). */
export const AGENT_BUNDLE = path.join(ROOT, "apps/agent/dist/nvi-agent.cjs");

let built: Promise<void> | undefined;
/** Builds the agent bundle from this checkout's sources, once per process (≈1 s), so labs run what the package ships. */
export function buildAgentBundle(): Promise<void> {
  built ??= new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [path.join(ROOT, "apps/agent/build.mjs")], (error, _out, stderr) =>
      error ? reject(new LabError(`could not build the agent bundle: ${stderr || error.message}`)) : resolve(),
    ),
  );
  return built;
}

/** The shell command a lab host runs as its agent, the bundle (the lab adds NVI_BRIDGE, NVI_DATACENTER, …). */
export function agentCommand(o: {
  joinString: string;
  controlUrl: string;
  controller: string;
  stateDir: string;
  hostname: string;
  env?: Record<string, string>;
}): string {
  if (!existsSync(AGENT_BUNDLE))
    throw new LabError(`the agent bundle ${AGENT_BUNDLE} is missing: pnpm --filter @nvi/agent build`);
  if (!/^https?:\/\/[A-Za-z0-9.:\[\]_-]+\/?$/.test(o.controlUrl))
    throw new LabError(`not a console URL: ${o.controlUrl}`);
  if (!/^nvj_[A-Za-z0-9]+@https?:\/\/[A-Za-z0-9.:\[\]_-]+\/?$/.test(o.joinString))
    throw new LabError("that is not a join string (nvj_…@console-url): copy it from the console's Join tokens");
  return [
    `NVI_JOIN='${o.joinString}'`,
    `NVI_CONTROL_URL=${o.controlUrl}`,
    `NVI_CONTROLLER=${o.controller}`,
    `NVI_STATE_DIR=${o.stateDir}`,
    `NVI_HOSTNAME=${o.hostname}`,
    ...Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`),
    // the V8 flags the package's unit runs it with (infra/package/debian/nvi-agent.service)
    `exec ${process.execPath} --optimize-for-size --max-semi-space-size=1 ${AGENT_BUNDLE}`,
  ].join(" ");
}

function relay(listenHost: string, port: number, to: URL, tls?: { key: string; cert: string }): Promise<Server> {
  const forward = (inbound: Socket): void => {
    const outbound = connect(Number(to.port || 80), to.hostname);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on("error", () => outbound.destroy());
    outbound.on("error", () => inbound.destroy());
  };
  const server = tls ? createTlsServer({ key: tls.key, cert: tls.cert }, forward) : createTcpServer(forward);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, listenHost, () => resolve(server));
  });
}

export async function startLocalHosts(o: {
  consoleUrl: string;
  datacenters: number;
  hostsPerDc: number;
  name?: string;
  tscPort?: number;
  stateFile: string;
  /** "internet" (issue 15): clouds joined only through an internet namespace, the first host of each datacenter its gateway (infra/lab src/internet.ts) */
  topology?: "routed" | "internet";
  log?: (l: string) => void;
}): Promise<LocalHosts> {
  const to = new URL(o.consoleUrl);
  await buildAgentBundle();
  const lab = await labUp({
    datacenters: o.datacenters,
    hostsPerDc: o.hostsPerDc,
    name: o.name,
    log: o.log,
    topology: o.topology,
  });
  let dockerd: Dockerd | undefined;
  let server: Server | undefined;
  const close = async (): Promise<void> => {
    server?.close();
    await dockerd?.stop().catch(() => undefined);
    await labDown(lab.name, { force: true }).catch(() => undefined);
    await rm(o.stateFile, { force: true });
  };
  try {
    dockerd = await startDockerd(path.join(lab.runDir, "docker"));
    const port = Number(to.port || 80);
    // the agents' channel is HTTPS with the console's certificate from the fabric CA
    const { databaseUrl, inherited } = stackEnv();
    const fabricSecret = inherited.FABRIC_CA_SECRET ?? inherited.AUTH_SECRET;
    if (!databaseUrl || !fabricSecret)
      throw new LabError(
        "the local hosts need DATABASE_URL and AUTH_SECRET (or FABRIC_CA_SECRET), the console's: the agents' HTTPS certificate comes from its fabric CA",
      );
    const deps = createCoreDeps(databaseUrl, { fabricSecret });
    const cert = await issueServerCertificate(deps, { name: "nvi-console", ipAddresses: [lab.mgmt.tscIp] }, 30).finally(
      () => void deps.db.$disconnect(),
    );
    const caFile = path.join(lab.runDir, "fabric-ca.crt");
    await writeFile(caFile, cert.ca);
    server = await relay(lab.mgmt.tscIp, port, to, cert);
    const state: LocalHostsState = {
      lab: lab.name,
      tscIp: lab.mgmt.tscIp,
      tscPort: o.tscPort ?? 6653,
      controlUrl: `https://${lab.mgmt.tscIp}:${port}`,
      dockerHost: dockerd.host,
      dockerImage: dockerd.image,
      pid: process.pid,
      caFile,
    };
    await writeFile(o.stateFile, JSON.stringify(state, null, 2));
    return { state, lab, close };
  } catch (e) {
    await close();
    throw e;
  }
}

export async function readLocalHosts(stateFile: string): Promise<LocalHostsState> {
  const text = await readFile(stateFile, "utf8").catch(() => {
    throw new LabError(`no local hosts are up (${stateFile} is missing): run scripts/up.sh, or \`local-hosts serve\``);
  });
  return LocalHostsState.parse(JSON.parse(text));
}

/** Starts the agent of the first host of datacenter `dc` that has none, with the join string. */
export async function joinLocalHost(
  stateFile: string,
  dc: number,
  joinString: string,
): Promise<{ hostId: string; hostname: string }> {
  const s = await readLocalHosts(stateFile);
  const lab = await readState(s.lab);
  if (!lab) throw new LabError(`lab ${s.lab} is gone; restart the local hosts`);
  const inDc = lab.hosts.filter((h) => h.dc === dc);
  if (inDc.length === 0)
    throw new LabError(
      `datacenter ${dc} does not exist here (datacenters: ${[...new Set(lab.hosts.map((h) => h.dc))].join(", ")})`,
    );
  const free = inDc.find((h) => h.pids.agent === undefined);
  if (!free)
    throw new LabError(`every host of datacenter ${dc} already runs an agent (${inDc.map((h) => h.id).join(", ")})`);
  const hostname = `${s.lab}-${free.id}`;
  const cmd = agentCommand({
    joinString,
    controlUrl: s.controlUrl,
    controller: `ssl:${s.tscIp}:${s.tscPort}`,
    stateDir: `${free.ovsDir}/agent`,
    hostname,
    env: {
      DOCKER_HOST: s.dockerHost,
      NODE_EXTRA_CA_CERTS: s.caFile,
      // VM guests from where the suite built them (default: the agent's /var/lib/nvi/images)
      ...(stackEnv().inherited.NVI_IMAGE_DIR ? { NVI_IMAGE_DIR: stackEnv().inherited.NVI_IMAGE_DIR! } : {}),
    },
  });
  // a host that ran an agent before enrolls afresh: its old credential belongs to a host record that may be gone
  await rm(path.join(free.ovsDir, "agent", "state.json"), { force: true });
  // and the host record an earlier demo or test left holding this lab host's identity goes (else: 409)
  const { databaseUrl } = stackEnv();
  if (databaseUrl) {
    const deps = createCoreDeps(databaseUrl);
    await releaseLabIdentities(deps.db, [free]).finally(() => deps.db.$disconnect());
  }
  await startAgent(s.lab, free.id, cmd);
  return { hostId: free.id, hostname };
}
