import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { IdentityRefusedError, RefusedError, controlPlane } from "./control-plane.ts";
import { agentEnv } from "./env.ts";
import type { HostFacts } from "@nvi/contracts";
import { readFabricFacts } from "./fabric-facts.ts";
import { FabricGuardKeeper } from "./fabric-guard.ts";
import { readHostFacts, type FactOverrides } from "./host-facts.ts";
import { AgentCredential, loadState, saveState, type AgentState } from "./state.ts";
import { inventoryOf, runCommand } from "./commands.ts";
import { replugRestartedContainers } from "./runtimes/docker.ts";
import { detectAccel, type QemuConfig } from "./runtimes/qemu.ts";
import { SwitchCertificate } from "./switch-cert.ts";
import { ensureVeb, localRunner as systemRunner, withUnixctl } from "./veb.ts";

/**
 * The host agent. It enrolls once with a join token (keeping the host credential it
 * gets in NVI_STATE_DIR), then heartbeats with fresh host facts. With NVI_CONTROLLER
 * it owns the VEB bridge (fail_mode=secure, pointed at the TSC, key ports reserved).
 * It only ever dials out. Instance plumbing arrives with the data-path work.
 */
const env = agentEnv();
/** Every command the agent runs; `ovs-appctl` is pointed at NVI_OVS_UNIXCTL when set. */
const localRunner = withUnixctl(systemRunner, env.NVI_OVS_UNIXCTL);
const log = (level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ at: new Date().toISOString(), level, msg, ...fields }));
const overrides: FactOverrides = {
  hostname: env.NVI_HOSTNAME,
  fabricAddress: env.NVI_FABRIC_ADDRESS,
  datacenter: env.NVI_DATACENTER,
  instanceBlock: env.NVI_INSTANCE_BLOCK,
  imageDir: env.NVI_IMAGE_DIR,
};
/** VMs keep their definition, pidfile and serial console under the state dir. */
const qemu: QemuConfig = {
  imageDir: env.NVI_IMAGE_DIR,
  vmDir: path.join(env.NVI_STATE_DIR, "vms"),
  accel: env.NVI_QEMU_ACCEL === "auto" ? detectAccel() : env.NVI_QEMU_ACCEL,
};
/** Fabric facts come from the VEB the agent owns (NVI_CONTROLLER); re-read with each heartbeat. */
const facts = async (): Promise<HostFacts> =>
  readHostFacts(
    env.NVI_CONTROLLER ? { ...overrides, fabric: await readFabricFacts(localRunner, env.NVI_BRIDGE) } : overrides,
  );
/** The VEB's OpenFlow certificate (mutual TLS with the TSC), when the agent owns the VEB. */
const switchCert = env.NVI_CONTROLLER ? new SwitchCertificate(env.NVI_STATE_DIR, localRunner) : null;
/** The fabric NIC's egress guard (IP options from the instance block dropped), when the agent owns the VEB. */
const fabricGuard = env.NVI_CONTROLLER
  ? new FabricGuardKeeper(localRunner, env.NVI_BRIDGE, env.NVI_INSTANCE_BLOCK, log)
  : null;
/** The console asked for a new CSR (no certificate on record, a rotation, another CA). */
let certificateWanted = false;

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    stopping = true;
    log("info", "agent stopping", { signal });
    process.exit(0);
  });
}

async function enroll(): Promise<AgentState> {
  if (!env.NVI_JOIN) throw new RefusedError(`not enrolled yet and no NVI_JOIN given (state dir ${env.NVI_STATE_DIR})`);
  const at = env.NVI_JOIN.indexOf("@");
  const controlUrl = env.NVI_CONTROL_URL ?? (at >= 0 ? env.NVI_JOIN.slice(at + 1) : undefined);
  if (!controlUrl) throw new RefusedError("NVI_JOIN carries no console address; set NVI_CONTROL_URL");
  const hostFacts = await facts();
  const csr = switchCert && hostFacts.datapathId ? await switchCert.request(hostFacts.hostname) : undefined;
  const answer = await controlPlane(controlUrl).enroll(env.NVI_JOIN, hostFacts, csr);
  const { heartbeatSeconds: _every, certificate, ...identity } = answer;
  const state: AgentState = { controlUrl, ...identity, enrolledAt: new Date().toISOString() };
  await saveState(env.NVI_STATE_DIR, state);
  if (certificate && switchCert) await switchCert.install(certificate);
  log("info", "enrolled", {
    hostId: state.hostId,
    cloudId: state.cloudId,
    controlUrl,
    hostname: hostFacts.hostname,
    switchCertificate: certificate ? certificate.notAfter : null,
  });
  return state;
}

async function main(): Promise<void> {
  if (env.NVI_CONTROLLER) {
    const veb = await ensureVeb(localRunner, {
      bridge: env.NVI_BRIDGE,
      controller: env.NVI_CONTROLLER,
      reservedPorts: env.NVI_RESERVED_PORTS,
    });
    log("info", "veb ready", { ...veb });
    await fabricGuard?.keep();
    // a certificate from an earlier run: Open vSwitch gets it before anything else (mutual TLS with the TSC)
    if (await switchCert?.configure()) log("info", "switch certificate configured", { dir: switchCert?.dir });
  }
  let state = await loadState(env.NVI_STATE_DIR);
  for (let attempt = 0; !state; attempt++) {
    try {
      state = await enroll();
    } catch (error) {
      if (error instanceof RefusedError) throw error;
      if (error instanceof IdentityRefusedError)
        log("warn", "the console refused this host's identity at enrollment; retrying", { error: error.message });
      else log("warn", "cannot reach the console to enroll; retrying", { error: (error as Error).message });
      await sleep(Math.min(30_000, 1000 * 2 ** attempt));
    }
  }
  const api = controlPlane(env.NVI_CONTROL_URL ?? state.controlUrl);
  const credential = new AgentCredential(env.NVI_STATE_DIR, state);
  void commandLoop(api, credential, state.hostId);
  let every = 10;
  let failures = 0;
  /** the fabric facts are not complete yet: beat again in a second rather than in `every` */
  let pending = false;
  log("info", "agent running", { hostId: state.hostId, bridge: env.NVI_BRIDGE });
  while (!stopping) {
    try {
      const answer = await beat(api, credential);
      every = answer.heartbeatSeconds;
      pending = answer.fabricPending;
      await credential.confirmed();
      if (answer.newCredential) {
        // saved before use; the next call (the confirming heartbeat right away, with a CSR: the
        // certificate renews with the credential) ends the old credential
        await credential.adopt(answer.newCredential);
        await beat(api, credential);
        await credential.confirmed();
        log("info", "host credential rotated", { hostId: state.hostId });
      }
      if (failures > 0) log("info", "console reachable again", { after: failures });
      failures = 0;
    } catch (error) {
      if (error instanceof RefusedError && (await credential.revert())) {
        log("warn", "the rotated credential was refused; back to the previous one until the next rotation answer", {
          hostId: state.hostId,
        });
        continue;
      }
      if (error instanceof RefusedError) throw error;
      failures++;
      if (error instanceof IdentityRefusedError)
        log("warn", "the console refused this host's identity (waiting for an owner or admin to approve it)", {
          error: error.message,
          failures,
        });
      else log("warn", "heartbeat failed; will retry", { error: (error as Error).message, failures });
    }
    await sleep(failures ? Math.min(30_000, 1000 * 2 ** failures) : pending ? 1000 : every * 1000);
  }
}

/** One heartbeat: fresh facts, and a CSR when the switch certificate is missing, due or asked for; a certificate in the answer is installed. */
async function beat(api: ReturnType<typeof controlPlane>, credential: AgentCredential) {
  await fabricGuard?.keep();
  const hostFacts = await facts();
  const ask = switchCert && hostFacts.datapathId && (certificateWanted || (await switchCert.due()));
  const csr = ask ? await switchCert.request(hostFacts.hostname) : undefined;
  const answer = await api.heartbeat(credential.current, hostFacts, csr);
  if (answer.certificate && switchCert) {
    await switchCert.install(answer.certificate);
    log("info", "switch certificate installed", { notAfter: answer.certificate.notAfter });
  }
  certificateWanted = answer.certificateWanted === true;
  // until the VEB is connected (its certificate arrives with enrollment) the next hop's MAC may be
  // unknown: the host is not on the fabric until a heartbeat reports it, so report it as soon as it is
  const fabricPending = switchCert !== null && (!hostFacts.nextHopMac || !hostFacts.fabricMac || !hostFacts.datapathId);
  return { ...answer, fabricPending };
}

/**
 * Commands from the console: fetched every 2 s over the agent's own outbound call (reporting what
 * is plugged, so the console sees drift), run one by one, answered with their result.
 */
async function commandLoop(
  api: ReturnType<typeof controlPlane>,
  credential: AgentCredential,
  hostId: string,
): Promise<void> {
  const bridge = env.NVI_CONTROLLER ? env.NVI_BRIDGE : null;
  let quietFailures = 0;
  while (!stopping) {
    try {
      if (bridge) {
        const replugged = await replugRestartedContainers(localRunner, bridge, hostId).catch((e: Error) => {
          log("warn", "could not re-plug a restarted container", { error: e.message });
          return [];
        });
        if (replugged.length > 0) log("info", "re-plugged restarted containers", { instances: replugged });
      }
      const { commands, missing } = await api.commands(credential.current, await inventoryOf(localRunner, bridge));
      if (missing.length > 0) log("warn", "the console expects instances this host does not have", { missing });
      for (const c of commands) {
        if ("unknown" in c) {
          log("warn", "unknown command", { id: c.id, error: c.unknown });
          await api.result(credential.current, c.id, { ok: false, error: c.unknown });
          continue;
        }
        const started = Date.now();
        const result = await runCommand(localRunner, bridge, c.body, {
          hostId,
          netnsPrefix: env.NVI_NETNS_PREFIX,
          qemu,
        });
        log(result.ok ? "info" : "warn", "command done", {
          id: c.id,
          kind: c.body.kind,
          ok: result.ok,
          error: result.error,
          ms: Date.now() - started,
        });
        await api.result(credential.current, c.id, result);
      }
      quietFailures = 0;
    } catch (error) {
      if (quietFailures++ % 10 === 0)
        log("warn", "command poll failed; will retry", { error: (error as Error).message });
    }
    await sleep(2_000);
  }
}

main().catch((error: unknown) => {
  log("error", error instanceof RefusedError ? "the console refused this agent" : "agent failed", {
    error: (error as Error).message,
  });
  process.exit(error instanceof RefusedError ? 3 : 1);
});
