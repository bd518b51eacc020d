/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- REST answers are JSON, checked by the assertions */
import { run } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Dockerd } from "./dockerd.ts";
import { startInstancesJourney, type InstancesJourney } from "./instances-journey.ts";
import type { Journey } from "./journey.ts";
import type { Stack } from "./stack.ts";

/**
 * The tenant's journey on real parts: REST API with an API token → Postgres → BullMQ → the real
 * worker process (embedded TSC with the NVI mapping) → the real agents in two lab "datacenters"
 * (enrolled with join tokens, owning their VEBs, pulling commands) → network-namespace instances
 * that reach each other across datacenters; terminate releases the address; Docker containers join
 * the VPC; stop makes an instance unreachable (address kept) and start/restart bring it back (netns
 * and Docker). The CLI, credential rotation and crashes: `instances-ops.integration.test.ts`.
 */
let ij: InstancesJourney;
let j: Journey;
let stack: Stack;
let dockerd: Dockerd;
let subnets: Journey["subnets"];
let hostIds: Journey["hostIds"];
const until: Journey["until"] = (...args) => j.until(...args);
const launch: Journey["launch"] = (...args) => j.launch(...args);
const finished: Journey["finished"] = (...args) => j.finished(...args);
const pingFrom: Journey["pingFrom"] = (...args) => j.pingFrom(...args);

beforeAll(async () => {
  ij = await startInstancesJourney({ docker: true });
  j = ij.j;
  dockerd = ij.dockerd!;
  ({ stack, subnets, hostIds } = j);
});

afterAll(async () => {
  await ij?.close();
});

describe("launch into a VPC across two datacenters", () => {
  let first: any;
  let second: any;

  it("two netns instances come up through jobs, with every step recorded", async () => {
    const a = await launch("web-1", "dc1");
    const b = await launch("db-1", "dc2");
    expect(a.instance).toMatchObject({ status: "pending", address: "10.40.1.2", runtime: "netns" });
    const [opA, opB] = await Promise.all([finished(a.operationId), finished(b.operationId)]);
    expect(opA.status, opA.error).toBe("succeeded");
    expect(opB.status, opB.error).toBe("succeeded");
    expect(opA.progress).toBe(100);
    expect(opA.steps.map((s: any) => s.status)).toEqual(["done", "done", "done", "done"]);
    expect(opA.steps[3].detail).toMatch(/fabric address 100\.65\.1\.\d+/);
    first = (await stack.call("GET", `/instances/${a.instance.id}`)).body;
    second = (await stack.call("GET", `/instances/${b.instance.id}`)).body;
    expect(first).toMatchObject({ status: "running", hostId: hostIds.dc1 });
    expect(first.ofport).toBeGreaterThan(1);
  });

  it("they reach each other across datacenters, from the first echo", async () => {
    expect(await pingFrom(first.id, second.address)).toBe(true);
    expect(await pingFrom(second.id, first.address)).toBe(true);
  });

  it("the reachability check answers from the data path: echo, TCP refused by the peer, silence", async () => {
    const check = (from: string, body: Record<string, unknown>) =>
      stack.call("POST", `/instances/${from}/reachability`, body);
    const echo = await check(first.id, { toInstanceId: second.id });
    expect(echo.status, JSON.stringify(echo.body)).toBe(200);
    expect(echo.body).toMatchObject({
      reachable: true,
      result: "open",
      protocol: "icmp",
      to: { address: second.address, name: "db-1" },
    });
    expect(echo.body.rttMs).toBeGreaterThan(0);
    expect((await check(second.id, { toInstanceId: first.id })).body).toMatchObject({
      reachable: true,
      result: "open",
    });
    // nothing listens on a bare namespace: the peer's kernel answers with a reset, so the path works
    expect((await check(first.id, { toInstanceId: second.id, protocol: "tcp", port: 443 })).body).toMatchObject({
      reachable: false,
      result: "refused",
      port: 443,
    });
    // an address of the VPC that no instance holds: the TSC has no pair to set up, nothing answers
    expect((await check(first.id, { toAddress: "10.40.2.200" })).body).toMatchObject({
      reachable: false,
      result: "no-answer",
    });
    const bad = await check(first.id, { toAddress: "10.40.2.200", protocol: "tcp" });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("port");
    expect(
      await stack.deps.db.hostCommand.count({ where: { kind: "instance.probe", host: { orgId: stack.orgId } } }),
    ).toBe(0);
  });

  it("the trace follows the packet through both VEBs' flows, and the configuration answer names the rule", async () => {
    const trace = await stack.call("POST", `/instances/${first.id}/trace`, {
      toInstanceId: second.id,
      protocol: "icmp",
    });
    expect(trace.status, JSON.stringify(trace.body)).toBe(200);
    expect(trace.body).toMatchObject({ verdict: "delivered", to: { name: "db-1" } });
    expect(trace.body.steps).toHaveLength(2);
    expect(trace.body.steps[0].hops.join("\n")).toMatch(/cookie 0x4e5605/); // the pair's mapping flow
    expect(trace.body.steps[1].enters).toMatch(/^fabric port 1 as 100\.65\.1\.\d+ → 100\.65\.2\.\d+$/);
    expect(trace.body.summary).toMatch(/rewrites it to fabric addresses .* delivers it to db-1/);
    // nobody holds this address: no pair flow, the packet would go to the TSC, which denies it
    expect(
      (
        await stack.call("POST", `/instances/${first.id}/trace`, {
          toAddress: "10.40.2.201",
          protocol: "tcp",
          port: 80,
        })
      ).body,
    ).toMatchObject({ verdict: "to-controller" });
    const why = await stack.call("POST", `/instances/${first.id}/policy-check`, {
      toInstanceId: second.id,
      protocol: "tcp",
      port: 443,
    });
    expect(why.body).toMatchObject({
      allowed: true,
      reason: expect.stringMatching(/members of the VPC talk to each other/),
    });
    expect(await stack.deps.db.hostCommand.count({ where: { kind: "veb.trace", host: { orgId: stack.orgId } } })).toBe(
      0,
    );
  });

  it("bad input gets a clear answer and creates nothing", async () => {
    const before = (await stack.call("GET", "/instances")).body.length;
    const cases: [Record<string, unknown>, number, string][] = [
      [{ name: "x1", subnetId: "sn_nope", runtime: "netns" }, 404, "subnetId"],
      [{ name: "Bad Name", subnetId: subnets.dc1, runtime: "netns" }, 400, "name"],
      [{ name: "x2", subnetId: subnets.dc1, runtime: "docker" }, 400, "image"],
      [{ name: "x2", subnetId: subnets.dc1, runtime: "qemu", image: "/var/lib/images/vm.qcow2" }, 400, "image"],
      [{ name: "x3", subnetId: subnets.dc1, runtime: "netns", address: "10.40.2.9" }, 400, "address"],
      [{ name: "x4", subnetId: subnets.dc1, runtime: "netns", address: first.address }, 409, "address"],
      [{ name: "web-1", subnetId: subnets.dc1, runtime: "netns" }, 409, "name"],
      [{ name: "x5", subnetId: subnets.dc1, hostId: hostIds.dc2, runtime: "netns" }, 400, "hostId"],
    ];
    for (const [body, status, field] of cases) {
      const r = await stack.call("POST", "/instances", body);
      expect(r.status, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`).toBe(status);
      expect(r.body.data?.field ?? r.body.field ?? JSON.stringify(r.body)).toContain(field);
    }
    expect((await stack.call("GET", "/instances")).body.length).toBe(before);
  });

  it("terminate unplugs, removes and releases the address", async () => {
    const r = await stack.call("DELETE", `/instances/${second.id}`);
    expect(r.status).toBe(202);
    const op = await finished(r.body.operationId);
    expect(op.status, op.error).toBe("succeeded");
    const allocations = await stack.deps.db.ipAllocation.count({ where: { holderId: second.id } });
    expect(allocations).toBe(0);
    expect((await stack.call("GET", "/instances")).body.map((i: any) => i.id)).not.toContain(second.id);
    expect(await run("ip", ["netns", "list"])).not.toContain(second.id);
    // the next launch in that subnet gets the address back
    const again = await launch("db-2", "dc2");
    expect(again.instance.address).toBe(second.address);
    expect((await finished(again.operationId)).status).toBe("succeeded");
  });
});

describe("a Docker container in the VPC", () => {
  it("launches with --network none and our port, reaches the netns instance, and is re-plugged after a restart", async () => {
    const l = await launch("box-1", "dc2", {
      runtime: "docker",
      image: dockerd.image,
      command: ["sleep", "1000000"],
      memoryMiB: 64,
    });
    const op = await finished(l.operationId);
    expect(op.status, op.error).toBe("succeeded");
    const web = ((await stack.call("GET", "/instances")).body as any[]).find((i) => i.name === "web-1");
    expect(await pingFrom(web.id, l.instance.address)).toBe(true);
    const fromBox = await stack.call("POST", `/instances/${l.instance.id}/reachability`, { toInstanceId: web.id });
    expect(fromBox.body, JSON.stringify(fromBox.body)).toMatchObject({ reachable: true, result: "open" });
    const docker = (...args: string[]) => run("docker", args, { env: { DOCKER_HOST: dockerd.host } });
    expect(await docker("inspect", "-f", "{{.HostConfig.NetworkMode}}", `nvi-${l.instance.id}`)).toContain("none");
    await docker("restart", "-t", "1", `nvi-${l.instance.id}`);
    // the agent notices the new network namespace on its next poll and plugs eth0 again
    await until(
      "the restarted container to answer again",
      async () => (await pingFrom(web.id, l.instance.address)) === true,
      30_000,
    ).catch(async (e: Error) => {
      const pid = (await docker("inspect", "-f", "{{.State.Pid}}", `nvi-${l.instance.id}`)).trim();
      const inside = await run("nsenter", ["-t", pid, "-n", "ip", "addr"]).catch((x: Error) => x.message);
      throw new Error(
        `${e.message.slice(0, 300)}\n--- container ---\n${inside}\n--- ping ---\n${String(await pingFrom(web.id, l.instance.address))}`,
      );
    });
    const r = await stack.call("DELETE", `/instances/${l.instance.id}`);
    expect((await finished(r.body.operationId)).status).toBe("succeeded");
    expect(await docker("ps", "-a", "--format", "{{.Names}}")).not.toContain(l.instance.id);
  });

  it("an image missing on the host fails the launch with the reason, and frees the way", async () => {
    const l = await launch("box-2", "dc2", { runtime: "docker", image: "nosuch/image:1" });
    const op = await finished(l.operationId);
    expect(op.status).toBe("failed");
    expect(op.error).toMatch(/image nosuch\/image:1 is not on this host/);
    expect((await stack.call("GET", `/instances/${l.instance.id}`)).body).toMatchObject({
      status: "failed",
      statusReason: expect.stringMatching(/not on this host/),
    });
  });
});

describe("stop, start and restart", () => {
  const instance = async (name: string) =>
    ((await stack.call("GET", "/instances")).body as any[]).find((i) => i.name === name);
  const verb = async (id: string, v: "stop" | "start" | "restart") => {
    const r = await stack.call("POST", `/instances/${id}/${v}`, {});
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const op = await finished(r.body.operationId);
    expect(op.status, op.error).toBe("succeeded");
    return { op, after: (await stack.call("GET", `/instances/${id}`)).body };
  };

  it("a netns instance: stopped it is unreachable and keeps its address and namespace; started (or restarted) it answers again", async () => {
    const web = await instance("web-1");
    const db2 = await instance("db-2");
    expect(await pingFrom(web.id, db2.address)).toBe(true);
    const stopped = await verb(db2.id, "stop");
    expect(stopped.after).toMatchObject({ status: "stopped", address: db2.address, mac: db2.mac });
    expect(stopped.op.steps.map((s: any) => s.status)).toEqual(["done", "done"]);
    expect(await pingFrom(web.id, db2.address)).not.toBe(true);
    expect(await run("ip", ["netns", "list"])).toContain(db2.id);
    expect(await stack.deps.db.ipAllocation.count({ where: { holderId: db2.id } })).toBe(1);
    expect((await stack.call("POST", `/instances/${db2.id}/stop`, {})).body.message).toMatch(/already stopped/);
    const started = await verb(db2.id, "start");
    expect(started.after).toMatchObject({ status: "running", address: db2.address });
    expect(await pingFrom(web.id, db2.address)).toBe(true);
    expect(await pingFrom(db2.id, web.address)).toBe(true);
    const restarted = await verb(db2.id, "restart");
    expect(restarted.op.steps.map((s: any) => s.name)).toEqual([
      "remove from the TSC",
      "stop on the host",
      "start on the host",
      "program the TSC",
    ]);
    expect(restarted.after).toMatchObject({ status: "running", address: db2.address });
    expect(await pingFrom(web.id, db2.address)).toBe(true);
  });

  it("a Docker container: stopped it is unreachable (container exited, kept); started it is re-plugged and answers again", async () => {
    const l = await launch("box-3", "dc2", {
      runtime: "docker",
      image: dockerd.image,
      command: ["sleep", "1000000"],
      memoryMiB: 64,
    });
    expect((await finished(l.operationId)).status).toBe("succeeded");
    const web = await instance("web-1");
    expect(await pingFrom(web.id, l.instance.address)).toBe(true);
    const docker = (...args: string[]) => run("docker", args, { env: { DOCKER_HOST: dockerd.host } });
    const stopped = await verb(l.instance.id, "stop");
    expect(stopped.after).toMatchObject({ status: "stopped", address: l.instance.address, ofport: null });
    expect((await docker("inspect", "-f", "{{.State.Running}}", `nvi-${l.instance.id}`)).trim()).toBe("false");
    expect(await pingFrom(web.id, l.instance.address)).not.toBe(true);
    const started = await verb(l.instance.id, "start");
    expect(started.after).toMatchObject({ status: "running", address: l.instance.address });
    expect(await pingFrom(web.id, l.instance.address)).toBe(true);
    const r = await stack.call("DELETE", `/instances/${l.instance.id}`);
    expect((await finished(r.body.operationId)).status).toBe("succeeded");
  });
});
