import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context.ts";
import {
  cloudWithHost,
  codeOf,
  freeGatewayAddresses,
  freeIdentity,
  hostFacts,
  person,
  randomIdentity,
  type EnrolledHost,
} from "../test-support/kit.ts";
import { createSubnet, createVpc, deleteVpc, listVpcs } from "../vpcs/vpcs.ts";
import { listHosts, recordHeartbeat, removeHost } from "./hosts.ts";
import { setHostGateway } from "./gateways.ts";

/**
 * Issue 15 in the model: a cloud that reaches others across the internet has gateway hosts with a
 * public address each; a VPC may span such a cloud only once it has one. Real Postgres.
 */
let ctx: Ctx;
let other: Ctx;
// gateway addresses are unique across every organization of the database: a /24 nobody holds yet
let pub: (n: number) => string;
let clouds = 0;
/** A fresh cloud of `who` with one host: each test makes its own, so none depends on another's run. */
const cloud = (who: Ctx, interconnect: "routed" | "gateway"): Promise<EnrolledHost> => {
  clouds++;
  return cloudWithHost(who, { cloud: `c${clouds}-${interconnect}`, hostname: `h${clouds}`, interconnect });
};

beforeAll(async () => {
  ctx = await person("gw");
  other = await person("gw-other");
  pub = await freeGatewayAddresses(ctx.db, "198.51");
});
afterAll(async () => {
  await ctx.db.$disconnect();
});

const vpcOver = (name: string, cidr: string, clouds: EnrolledHost[]) =>
  createVpc(ctx, {
    name,
    cidr: `${cidr}.0.0/16`,
    allowOverlap: true,
    subnets: clouds.map((c, i) => ({ name: `s${i}`, cidr: `${cidr}.${i}.0/24`, cloudId: c.cloudId })),
  });

describe("gateways of a cloud", () => {
  it("a multi-cloud VPC over a cloud without a gateway is refused, naming the subnet's cloud; nothing is created", async () => {
    const [aws, office, lab1, lab2] = [
      await cloud(ctx, "gateway"),
      await cloud(ctx, "gateway"),
      await cloud(ctx, "routed"),
      await cloud(ctx, "routed"),
    ];
    const before = (await listVpcs(ctx)).length;
    expect(await codeOf(vpcOver("span", "10.40", [lab1, aws]))).toBe("NO_GATEWAY@subnets.1.cloudId");
    expect(await codeOf(vpcOver("span", "10.40", [aws, lab1]))).toBe("NO_GATEWAY@subnets.1.cloudId");
    expect(await codeOf(vpcOver("span", "10.40", [aws, office]), { message: true })).toMatch(
      /cloud "c\d+-gateway" reaches other clouds through gateways but has none/,
    );
    expect((await listVpcs(ctx)).length).toBe(before);
    // adding a subnet in another cloud to a one-cloud VPC is the same span
    const single = await vpcOver("single", "10.41", [aws]);
    expect(
      await codeOf(createSubnet(ctx, { vpcId: single.id, name: "far", cidr: "10.41.9.0/24", cloudId: lab1.cloudId })),
    ).toBe("NO_GATEWAY@cloudId");
    // clouds on the console's routed fabric need none (today's behaviour), nor does a VPC in one cloud
    expect(await codeOf(vpcOver("routed", "10.42", [lab1, lab2]))).toBe("ok");
  });

  it("a host becomes a gateway at a public address; another gateway claiming it is refused naming the field, in any organization", async () => {
    const [aws, office, theirs] = [
      await cloud(ctx, "gateway"),
      await cloud(ctx, "gateway"),
      await cloud(other, "gateway"),
    ];
    expect(await codeOf(setHostGateway(ctx, { hostId: aws.hostId, publicAddress: pub(1) }))).toBe("ok");
    expect(await codeOf(setHostGateway(ctx, { hostId: office.hostId, publicAddress: pub(1) }))).toBe(
      "GATEWAY_ADDRESS_TAKEN@publicAddress",
    );
    expect(await codeOf(setHostGateway(other, { hostId: theirs.hostId, publicAddress: pub(1) }))).toBe(
      "GATEWAY_ADDRESS_TAKEN@publicAddress",
    );
    // another organization's host is not found, never changed
    expect(await codeOf(setHostGateway(other, { hostId: aws.hostId, publicAddress: pub(9) }))).toBe("NOT_FOUND");
    const hosts = await listHosts(ctx, {});
    expect(hosts.find((h) => h.id === office.hostId)?.gatewayPublicAddress).toBeNull();
    expect(hosts.find((h) => h.id === aws.hostId)?.gatewayPublicAddress).toBe(pub(1));
  });

  it("once every gateway cloud has a gateway the VPC spans them; the last gateway stays while it does; removing the address frees it", async () => {
    const [aws, office, lab1, theirs] = [
      await cloud(ctx, "gateway"),
      await cloud(ctx, "gateway"),
      await cloud(ctx, "routed"),
      await cloud(other, "gateway"),
    ];
    expect(await codeOf(setHostGateway(ctx, { hostId: aws.hostId, publicAddress: pub(3) }))).toBe("ok");
    expect(await codeOf(vpcOver("span2", "10.43", [aws, office]))).toBe("NO_GATEWAY@subnets.1.cloudId");
    expect(await codeOf(setHostGateway(ctx, { hostId: office.hostId, publicAddress: pub(4) }))).toBe("ok");
    const span = await vpcOver("span2", "10.43", [aws, office, lab1]);
    // office's only gateway carries span2 to the other clouds: it is not removed while span2 spans office
    expect(await codeOf(setHostGateway(ctx, { hostId: office.hostId, publicAddress: null }))).toBe(
      "LAST_GATEWAY@hostId",
    );
    await deleteVpc(ctx, { vpcId: span.id });
    expect(await codeOf(setHostGateway(ctx, { hostId: office.hostId, publicAddress: null }))).toBe("ok");
    expect(await codeOf(setHostGateway(other, { hostId: theirs.hostId, publicAddress: pub(4) }))).toBe("ok");
  });

  it("the last gateway's host is not removed while a VPC spans its cloud; once the VPC is gone it is", async () => {
    const [aws, office] = [await cloud(ctx, "gateway"), await cloud(ctx, "gateway")];
    await setHostGateway(ctx, { hostId: aws.hostId, publicAddress: pub(5) });
    await setHostGateway(ctx, { hostId: office.hostId, publicAddress: pub(6) });
    const span = await vpcOver("span3", "10.44", [aws, office]);
    // removing the host removes its gateway: the same rule as taking its address away
    expect(await codeOf(removeHost(ctx, { hostId: office.hostId }), { message: true })).toMatch(
      /^LAST_GATEWAY@hostId: host h\d+ is the last gateway of cloud "c\d+-gateway", and VPC "span3" spans/,
    );
    expect((await listHosts(ctx, {})).some((h) => h.id === office.hostId)).toBe(true);
    await deleteVpc(ctx, { vpcId: span.id });
    expect(await codeOf(removeHost(ctx, { hostId: office.hostId }))).toBe("ok");
  });

  it("a subnet that would span a cloud waits for that cloud's gateway removal under way, then is refused", async () => {
    const [aws, office] = [await cloud(ctx, "gateway"), await cloud(ctx, "gateway")];
    await setHostGateway(ctx, { hostId: aws.hostId, publicAddress: pub(7) });
    await setHostGateway(ctx, { hostId: office.hostId, publicAddress: pub(8) });
    const single = await vpcOver("single2", "10.45", [aws]);
    let settled = "pending";
    let adding: Promise<string> | undefined;
    // what removing office's last gateway does: lock its cloud, find no VPC spanning it, clear the address
    await ctx.db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM clouds WHERE id = ${office.cloudId} FOR UPDATE`;
      expect(await tx.subnet.count({ where: { cloudId: office.cloudId } })).toBe(0);
      adding = codeOf(
        createSubnet(ctx, { vpcId: single.id, name: "far", cidr: "10.45.9.0/24", cloudId: office.cloudId }),
      ).then((code) => (settled = code));
      await new Promise((r) => setTimeout(r, 400));
      // before the fix the subnet went in here, spanning a cloud about to have no gateway
      expect(settled).toBe("pending");
      await tx.host.update({ where: { id: office.hostId }, data: { gatewayPublicAddress: null, gatewayNat: null } });
    });
    expect(await adding).toBe("NO_GATEWAY@cloudId");
  });

  it("a gateway's heartbeat answer names its peers: its organization's other gateway clouds' gateways, approved keys only", async () => {
    const [aws, office, lab1, theirs] = [
      await cloud(ctx, "gateway"),
      await cloud(ctx, "gateway"),
      await cloud(ctx, "routed"),
      await cloud(other, "gateway"),
    ];
    const ids = {
      aws: await freeIdentity(ctx.db),
      office: await freeIdentity(ctx.db),
      theirs: await freeIdentity(ctx.db),
    };
    const beat = (who: Ctx, h: EnrolledHost, id: Partial<ReturnType<typeof randomIdentity>> = {}) =>
      recordHeartbeat(who, h.host, hostFacts(h.host.name, id));
    await beat(ctx, aws, ids.aws);
    await beat(ctx, office, ids.office);
    await beat(other, theirs, ids.theirs);
    // no gateway yet: instances of a gateway cloud talk across clouds, a routed cloud's do not
    expect(await beat(ctx, aws)).toMatchObject({ gateway: null, crossCloud: true });
    expect(await beat(ctx, lab1)).toMatchObject({ gateway: null, crossCloud: false });
    await setHostGateway(ctx, { hostId: aws.hostId, publicAddress: pub(11) });
    await setHostGateway(ctx, { hostId: office.hostId, publicAddress: pub(12) });
    await setHostGateway(other, { hostId: theirs.hostId, publicAddress: pub(13) });
    const answer = await beat(ctx, aws, ids.aws);
    expect(answer.gateway?.publicAddress).toBe(pub(11));
    // another organization's gateway is never a peer (a tenant's tunnel reaches its own clouds only)
    expect(answer.gateway?.peers.filter((p) => p.publicAddress.startsWith(pub(0).slice(0, -1)))).toEqual([
      { publicKey: ids.office.wireguardPublicKey, publicAddress: pub(12), allowedIps: ids.office.instanceBlock },
    ]);
    // a refused key change of a peer does not reach the others: they keep the approved key
    await beat(ctx, office, { ...ids.office, wireguardPublicKey: randomIdentity().wireguardPublicKey }).catch(
      () => undefined,
    );
    expect((await beat(ctx, aws, ids.aws)).gateway?.peers.map((p) => p.publicKey)).toContain(
      ids.office.wireguardPublicKey,
    );
    await setHostGateway(ctx, { hostId: aws.hostId, publicAddress: null });
    expect(await beat(ctx, aws, ids.aws)).toMatchObject({ gateway: null, crossCloud: true });
  });
});
