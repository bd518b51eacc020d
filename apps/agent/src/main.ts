import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CredentialRefusedError,
  IdentityRefusedError,
  LimitRefusedError,
  RefusedError,
  controlPlane,
} from "./control-plane.ts";
import { agentEnv } from "./env.ts";
import { NVI_VERSION, type HostFacts } from "@nvi/contracts";
import { readFabricFacts } from "./fabric-facts.ts";
import { FabricGuardKeeper } from "./fabric-guard.ts";
import { readGuardFacts } from "./guard-facts.ts";
import { agentGatewayKeeper } from "./gateway-keeper.ts";
import { Wakeup } from "./wakeup.ts";
import { WIREGUARD_KEY_FILE, wireguardPublicKey } from "./wireguard-key.ts";
import { readHostFacts, type FactOverrides } from "./host-facts.ts";
import { AgentCredential, loadState, saveState, type AgentState } from "./state.ts";
import { commandLoop } from "./command-loop.ts";
import { detectAccel, type QemuConfig } from "./runtimes/qemu.ts";
import { SerialBridges } from "./serial.ts";
import { SwitchCertificate } from "./switch-cert.ts";
import { MAKE_CSR_FLAG, keyAndCsrInChild, printKeyAndCsr } from "./csr-child.ts";
import { ensureVeb, localRunner as systemRunner, withUnixctl } from "./veb.ts";
import { DatapathSettle, ovsSockets } from "./datapath-settle.ts";
import { UnixctlClient } from "./unixctl.ts";
import { readFile } from "node:fs/promises";

/**
 * The host agent. It enrolls once with a join token (keeping the host credential it
 * gets in NVI_STATE_DIR), then heartbeats with fresh host facts. With NVI_CONTROLLER
 * it owns the VEB bridge (fail_mode=secure, pointed at the TSC, key ports reserved).
 * It only ever dials out. Instance plumbing arrives with the data-path work.
 */
if (process.argv[2] === "--version") {
  console.log(NVI_VERSION);
  process.exit(0);
}
const env = (() => {
  try {
    return agentEnv();
  } catch (error) {
    // a bad configuration is the operator's to fix: the message, not a stack trace
    console.error((error as Error).message);
    return process.exit(2);
  }
})();
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
/** Ends the heartbeat loop's sleep: a gateway link that changed is reported at once. */
const beatNow = new Wakeup();
/**
 * The gateway's tunnel (issue 15), as the console's heartbeat answers say, when the agent owns the
 * VEB. Its links are watched twice a second; a link that goes down or comes back is reported at once,
 * and a wireguard-go that dies is started again at once (gateway-keeper.ts).
 */
const gateway = env.NVI_CONTROLLER
  ? agentGatewayKeeper(
      localRunner,
      { bridge: env.NVI_BRIDGE, wgIf: env.NVI_WG_INTERFACE, keyFile: path.join(env.NVI_STATE_DIR, WIREGUARD_KEY_FILE) },
      log,
      () => beatNow.wake(),
    )
  : null;
/** Fabric facts come from the VEB the agent owns (NVI_CONTROLLER); re-read with each heartbeat. */
const facts = async (): Promise<HostFacts> => {
  const mine = {
    ...overrides,
    wireguardPublicKey: await wireguardPublicKey(env.NVI_STATE_DIR),
    gatewayLinks: gateway?.links ?? null,
  };
  if (!env.NVI_CONTROLLER) return readHostFacts(mine);
  return readHostFacts({
    ...mine,
    fabric: await readFabricFacts(localRunner, env.NVI_BRIDGE),
    // a VEB that cannot be read right now: no guard report this time, the heartbeat still goes
    guards: await readGuardFacts(localRunner, env.NVI_BRIDGE, fabricGuard?.state).catch(() => undefined),
  });
};
/** The VEB's OpenFlow certificate (mutual TLS with the TSC), when the agent owns the VEB. */
const switchCert = env.NVI_CONTROLLER
  ? new SwitchCertificate(env.NVI_STATE_DIR, localRunner, Date.now, (cn) => keyAndCsrInChild(cn))
  : null;
/** The fabric NIC's egress guard (IP options from the instance block dropped), when the agent owns the VEB. */
const fabricGuard = env.NVI_CONTROLLER
  ? new FabricGuardKeeper(localRunner, env.NVI_BRIDGE, env.NVI_INSTANCE_BLOCK, log)
  : null;
/** NVI_INSTANCE_BLOCK, else the block the console assigned: claimed in the facts, guarded on the fabric NIC. */
function useBlock(instanceBlock: string): void {
  overrides.instanceBlock = instanceBlock;
  fabricGuard?.useBlock(instanceBlock);
}
/**
 * This host's instances talk across clouds (the console says so): their TX checksum offload goes
 * off. Until the first heartbeat is answered, the last answer kept in the state file.
 */
let crossCloud = false;
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
  const answer = await controlPlane(controlUrl, { log }).enroll(env.NVI_JOIN, hostFacts, csr);
  const { heartbeatSeconds: _every, certificate, instanceBlock, ...identity } = answer;
  const state: AgentState = {
    controlUrl,
    ...identity,
    enrolledAt: new Date().toISOString(),
    ...(instanceBlock && !env.NVI_INSTANCE_BLOCK ? { instanceBlock } : {}),
  };
  await saveState(env.NVI_STATE_DIR, state);
  if (certificate && switchCert) await switchCert.install(certificate);
  log("info", "enrolled", {
    hostId: state.hostId,
    cloudId: state.cloudId,
    controlUrl,
    hostname: hostFacts.hostname,
    switchCertificate: certificate ? certificate.notAfter : null,
    instanceBlock: instanceBlock ?? null,
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
    // the TSC's revocations are confirmed only once this host's datapath cache has let go of them
    const sockets = ovsSockets(env.NVI_BRIDGE, env.NVI_OVS_UNIXCTL, (f) => readFile(f, "utf8"));
    const vswitchd = new UnixctlClient(sockets.controlSocket);
    // opened now: the first settle's wait must not be sent after its trigger's round has ended
    void vswitchd.call("version").catch(() => undefined);
    new DatapathSettle({
      mgmtSocket: sockets.mgmtSocket,
      waitRound: () => vswitchd.call("revalidator/wait").then(() => undefined),
      log,
    }).start();
    // without NVI_INSTANCE_BLOCK the block comes from the console: the first heartbeat puts the guard in place
    if (env.NVI_INSTANCE_BLOCK) await fabricGuard?.keep();
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
  const api = controlPlane(env.NVI_CONTROL_URL ?? state.controlUrl, { log });
  const credential = new AgentCredential(env.NVI_STATE_DIR, state);
  if (state.instanceBlock && !env.NVI_INSTANCE_BLOCK) useBlock(state.instanceBlock);
  crossCloud = credential.crossCloud;
  void commandLoop({
    api,
    credential: () => credential.current,
    run: localRunner,
    bridge: env.NVI_CONTROLLER ? env.NVI_BRIDGE : null,
    hostId: state.hostId,
    netnsPrefix: env.NVI_NETNS_PREFIX,
    qemu,
    crossCloud: () => crossCloud,
    stopping: () => stopping,
    log,
  });
  // serial consoles of this host's VMs: a long poll of its own, so a slow command never delays one
  void new SerialBridges(api, () => credential.current, qemu.vmDir, log).loop(() => stopping);
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
      if (error instanceof LimitRefusedError) {
        failures++;
        log("warn", "the console has no instance block for this host yet (shown on the host); retrying", {
          error: error.message,
          failures,
        });
        await sleep(Math.min(60_000, 1000 * 2 ** failures));
        continue;
      }
      if (await credential.refused(error)) {
        log("warn", "the host credential was refused; trying the other one of the rotation", {
          hostId: state.hostId,
          error: (error as Error).message,
        });
        continue;
      }
      // refused for good only when no credential of this host is taken any more (a removed host);
      // any other refusal (a fact or CSR this console will not take) is logged and tried again
      if (error instanceof CredentialRefusedError) throw error;
      failures++;
      if (error instanceof RefusedError)
        log("error", "the console refused this heartbeat; retrying", { error: error.message, failures });
      else if (error instanceof IdentityRefusedError)
        log("warn", "the console refused this host's identity (waiting for an owner or admin to approve it)", {
          error: error.message,
          failures,
        });
      else log("warn", "heartbeat failed; will retry", { error: (error as Error).message, failures });
    }
    if (failures) await sleep(Math.min(30_000, 1000 * 2 ** failures));
    else await beatNow.sleep(pending ? 1000 : every * 1000);
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
  if (answer.instanceBlock && !env.NVI_INSTANCE_BLOCK && answer.instanceBlock !== credential.instanceBlock) {
    await credential.rememberBlock(answer.instanceBlock);
    useBlock(answer.instanceBlock);
    log("info", "instance block assigned by the console", { instanceBlock: answer.instanceBlock });
  }
  crossCloud = answer.crossCloud === true;
  await credential.rememberCrossCloud(crossCloud);
  if (answer.gateway !== undefined) await gateway?.keep(answer.gateway, hostFacts);
  // until the VEB is connected (its certificate arrives with enrollment) the next hop's MAC may be
  // unknown: the host is not on the fabric until a heartbeat reports it, so report it as soon as it is
  const fabricPending = switchCert !== null && (!hostFacts.nextHopMac || !hostFacts.fabricMac || !hostFacts.datapathId);
  return { ...answer, fabricPending };
}

// the child that makes the switch key and CSR (csr-child.ts): it prints them and ends, nothing else runs
if (process.argv[2] === MAKE_CSR_FLAG)
  printKeyAndCsr(process.argv[3] ?? "").catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
else
  void main().catch((error: unknown) => {
    log("error", error instanceof RefusedError ? "the console refused this agent" : "agent failed", {
      error: (error as Error).message,
    });
    process.exit(error instanceof RefusedError ? 3 : 1);
  });
