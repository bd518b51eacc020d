/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument -- REST answers are JSON, checked by the tests' assertions */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { labDown, labUp, run, startAgent, vsctl, type HostState, type LabState } from "@nvi/lab";
import { expect } from "vitest";
import { agentCommand, buildAgentBundle } from "./local-hosts.ts";
import { releaseLabIdentities } from "./release-identities.ts";
import { startStack, type Stack, type StackOptions, type Tenant } from "./stack.ts";

/**
 * The tenant's journey on real parts, shared by the suites that walk it: a lab of two datacenters
 * (one host each), the REST API with a token, the real worker process with the TSC, real agents
 * enrolled with join tokens and owning their VEBs, and a VPC with a subnet in each datacenter
 * (`dc1`, `dc2`). `agentEnv` adds variables to every agent (after the lab is up, before they start).
 */
export interface Journey {
  lab: LabState;
  stack: Stack;
  clouds: Record<string, string>;
  subnets: Record<string, string>;
  hostIds: Record<string, string>;
  agentCommand: Record<string, string>;
  until<T>(what: string, fn: () => Promise<T | undefined | false>, ms?: number): Promise<T>;
  launch(
    name: string,
    subnet: string,
    extra?: Record<string, unknown>,
  ): Promise<{ instance: any; operationId: string }>;
  finished(operationId: string, ms?: number): Promise<any>;
  /** Lab hosts the first tenant did not enroll (`hostsPerDc` > 1): for another tenant's cloud. */
  spareHosts: HostState[];
  /** `tenant` makes a cloud in the host's datacenter and enrolls `host` into it with a join token; its host id once online with fabric facts. */
  enroll(tenant: Tenant, host: HostState): Promise<{ cloudId: string; hostId: string }>;
  /** Ping from inside a netns instance; true, or the error with what the VEBs hold (flows and conntrack). */
  pingFrom(id: string, to: string): Promise<string | true>;
  /** Leaves nothing behind: this organization's rows, the stack, the lab. */
  close(): Promise<void>;
}

export interface JourneyOptions {
  vpcCidr: string;
  subnetCidrs: { dc1: string; dc2: string };
  agentEnv?: (lab: LabState) => Promise<Record<string, string>>;
  /** hosts per datacenter (default 1); the first tenant enrolls the first of each, the rest are `spareHosts` */
  hostsPerDc?: number;
  /** how the console and worker are started (a fault test: its own Postgres proxy and Redis, the console in its own process) */
  stack?: StackOptions;
}

export async function startJourney(options: JourneyOptions): Promise<Journey> {
  await buildAgentBundle();
  const lab = await labUp({ datacenters: 2, hostsPerDc: options.hostsPerDc ?? 1 });
  const firstOfDc = lab.hosts.filter((h, i) => lab.hosts.findIndex((x) => x.dc === h.dc) === i);
  let stack: Stack | undefined;
  let extraEnv: Record<string, string> = {};
  const j: Journey = {
    lab,
    get stack() {
      if (!stack) throw new Error("the stack did not start");
      return stack;
    },
    clouds: {},
    subnets: {},
    hostIds: {},
    agentCommand: {},
    spareHosts: lab.hosts.filter((h) => !firstOfDc.includes(h)),
    async enroll(tenant, h) {
      const dc = `dc${h.dc}`;
      const cloud = await tenant.call("POST", "/clouds", {
        name: `lab-${dc}-${h.id}`,
        kind: "baremetal",
        region: "lab",
        datacenter: dc,
      });
      expect(cloud.status, JSON.stringify(cloud.body)).toBe(200);
      const jt = await tenant.call("POST", `/clouds/${cloud.body.id}/join-tokens`, {
        reusable: false,
        expiresInHours: 1,
      });
      const agent = agentCommand({
        joinString: jt.body.joinString,
        controlUrl: j.stack.apiUrl,
        controller: `ssl:${lab.mgmt.tscIp}:${j.stack.tscPort}`,
        stateDir: `${h.ovsDir}/agent`,
        hostname: `${lab.name}-${h.id}`,
        env: extraEnv,
      });
      j.agentCommand[h.id] = agent;
      await startAgent(lab.name, h.id, agent);
      const hostId = await j.until(`${h.id} online with fabric facts`, async () => {
        const r = await tenant.call("GET", "/hosts");
        return (r.body as any[]).find(
          (x) =>
            x.cloudId === cloud.body.id &&
            x.status === "online" &&
            x.facts.datapathId &&
            x.facts.nextHopMac &&
            x.facts.instanceBlock,
        )?.id as string | undefined;
      });
      return { cloudId: cloud.body.id as string, hostId };
    },
    until: (what, fn, ms = 60_000) => untilOrExplain(lab, j.stack, what, fn, ms),
    async launch(name, subnet, extra = {}) {
      const r = await j.stack.call("POST", "/instances", {
        name,
        subnetId: j.subnets[subnet],
        runtime: "netns",
        ...extra,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      return r.body;
    },
    finished: (operationId, ms = 60_000) =>
      j.until(
        `operation ${operationId}`,
        async () => {
          const r = await j.stack.call("GET", `/operations/${operationId}`);
          return ["succeeded", "failed"].includes(r.body?.status) ? r.body : undefined;
        },
        ms,
      ),
    async pingFrom(id, to) {
      const r = await run("ip", ["netns", "exec", `${lab.name}-n-${id}`, "ping", "-n", "-c", "2", "-W", "2", to]).then(
        () => true as const,
        (e: Error) => e.message,
      );
      if (r === true) return r;
      // (a dump that fails says why, and never hides the ping's own answer)
      const said = (e: Error) => `(${e.message})`;
      const flows = await Promise.all(
        lab.hosts.map(
          async (h) =>
            `--- ${h.id} ---\n${await vsctl(h.ovsDir, "show").catch(said)}\n${await run("ovs-ofctl", ["-O", "OpenFlow13", "dump-flows", h.bridge], { env: { OVS_RUNDIR: h.ovsDir } }).catch(said)}\n--- ${h.id} conntrack ---\n${await run("ovs-appctl", ["dpctl/dump-conntrack"], { env: { OVS_RUNDIR: h.ovsDir } }).catch(said)}`,
        ),
      );
      return `${r}\n${flows.join("\n")}\n--- worker ---\n${j.stack.workerLog().slice(-2000)}`;
    },
    async close() {
      if (stack) {
        // leave nothing running in the shared database: this organization's instances, addresses, hosts
        const db = stack.deps.db;
        for (const orgId of [stack.orgId, ...stack.tenants.map((t) => t.orgId)]) {
          const ids = (await db.instance.findMany({ where: { orgId }, select: { id: true } })).map((i) => i.id);
          await db.ipAllocation.deleteMany({ where: { holderId: { in: ids } } });
          await db.instance.deleteMany({ where: { orgId } });
          await db.host.deleteMany({ where: { orgId } });
          await db.operation.deleteMany({ where: { orgId } });
        }
        await stack.close();
      }
      await labDown(lab.name, { force: true });
    },
  };
  try {
    extraEnv = (await options.agentEnv?.(lab)) ?? {};
    stack = await startStack(lab.mgmt.tscIp, options.stack);
    await releaseLabIdentities(stack.deps.db, lab.hosts);
    await stack.startWorker();
    for (const h of firstOfDc) {
      const dc = `dc${h.dc}`;
      const cloud = await stack.call("POST", "/clouds", {
        name: `lab-${dc}`,
        kind: "baremetal",
        region: "lab",
        datacenter: dc,
      });
      j.clouds[dc] = cloud.body.id;
      const jt = await stack.call("POST", `/clouds/${cloud.body.id}/join-tokens`, {
        reusable: false,
        expiresInHours: 1,
      });
      const agent = agentCommand({
        joinString: jt.body.joinString,
        controlUrl: stack.apiUrl,
        controller: `ssl:${lab.mgmt.tscIp}:${stack.tscPort}`,
        stateDir: `${h.ovsDir}/agent`,
        hostname: `${lab.name}-${h.id}`,
        env: extraEnv,
      });
      j.agentCommand[h.id] = agent;
      await startAgent(lab.name, h.id, agent);
    }
    // hosts enroll, own their VEB and report their fabric; the worker's TSC gets both VEBs
    await j.until("both hosts online with fabric facts", async () => {
      const r = await j.stack.call("GET", "/hosts");
      const ready = (r.body as any[]).filter(
        (h) => h.status === "online" && h.facts.datapathId && h.facts.nextHopMac && h.facts.instanceBlock,
      );
      for (const h of ready) j.hostIds[h.facts.datacenter] = h.id;
      return ready.length === 2;
    });
    const vpc = await stack.call("POST", "/vpcs", { name: "journey", cidr: options.vpcCidr });
    for (const [dc, cidr] of Object.entries(options.subnetCidrs)) {
      const sn = await stack.call("POST", `/vpcs/${vpc.body.id}/subnets`, {
        name: `in-${dc}`,
        cidr,
        cloudId: j.clouds[dc],
      });
      expect(sn.status, JSON.stringify(sn.body)).toBe(200);
      j.subnets[dc] = sn.body.id;
    }
    return j;
  } catch (e) {
    await j.close().catch(() => undefined);
    throw e;
  }
}

/**
 * Polls `fn` until it gives a value; past `ms`, fails with what it waited for, the worker's log and
 * every lab agent's, so a lab test's timeout says why.
 */
export async function untilOrExplain<T>(
  lab: LabState,
  stack: Pick<Stack, "workerLog"> | undefined,
  what: string,
  fn: () => Promise<T | undefined | false>,
  ms: number,
  everyMs = 250,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) {
      const agents = await Promise.all(
        lab.hosts.map(
          async (h) =>
            `--- agent ${h.id} ---\n${(await readFile(path.join(h.ovsDir, "agent.log"), "utf8").catch(() => "")).slice(-1500)}`,
        ),
      );
      throw new Error(
        `timed out waiting for ${what}\n--- worker log ---\n${stack?.workerLog().slice(-3000)}\n${agents.join("\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
