import { expect, test } from "@playwright/test";
import { facts, trpc } from "./gateway-agents.ts";
import { email, expectInConsole, hydrated, run, screenshot, signUp } from "./helpers.ts";

/**
 * Issue 15, several gateways per cloud in the console: a cloud's card adds two of its hosts as
 * gateways through its own form (one behind a 1:1 NAT), lists each with its health (its host's
 * status and its tunnels to the other cloud's gateway, as the hosts' heartbeats report them), and
 * removes one. The hosts are enrolled and beat through the real agent API.
 */
const fresh = (peerAddress: string) => ({
  peerAddress,
  lastHandshakeAt: new Date(Date.now() - 5_000).toISOString(),
  rxBytes: 1,
  txBytes: 1,
});

let heartbeats: ReturnType<typeof setInterval> | undefined;
test.afterEach(() => clearInterval(heartbeats));

test("a cloud's card adds two gateways, shows each with its health, and removes one", async ({ page }) => {
  await signUp(page, { name: "Gunnar", email: email("gateways") });
  await expectInConsole(page);
  const post = trpc(page);
  const octet = 1 + Math.floor(Math.random() * 250);
  const [e1, e2, w1] = [`203.0.113.${octet}`, `198.51.100.${octet}`, `192.0.2.${octet}`];
  const agents: { hostname: string; send: () => Promise<void>; links: unknown }[] = [];
  const cloud = async (name: string, hosts: number) => {
    const c = await post("cloud.create", {
      name,
      kind: "baremetal",
      region: "eu",
      datacenter: name,
      interconnect: "gateway",
    });
    const { joinString } = await post("joinToken.create", {
      cloudId: c.id,
      reusable: true,
      usageLimit: null,
      expiresInHours: 1,
    });
    const ids: string[] = [];
    for (let i = 1; i <= hosts; i++) {
      const hostname = `${name}-gw${i}-${run}`;
      const enrolled = await page.request.post("/api/v1/agent/enroll", {
        data: { joinToken: joinString, facts: facts(hostname) },
      });
      expect(enrolled.status(), await enrolled.text()).toBe(200);
      const { hostId, credential } = (await enrolled.json()) as { hostId: string; credential: string };
      const agent = {
        hostname,
        links: null as unknown,
        send: async () => {
          const res = await page.request.post("/api/v1/agent/heartbeat", {
            headers: { authorization: `Bearer ${credential}` },
            data: { facts: facts(hostname, agent.links) },
          });
          expect(res.status(), await res.text()).toBe(200);
        },
      };
      agents.push(agent);
      ids.push(hostId);
    }
    return { id: c.id!, hostIds: ids };
  };
  heartbeats = setInterval(() => agents.forEach((a) => void a.send().catch(() => undefined)), 5_000);
  await cloud("east", 2);
  const west = await cloud("west", 1);
  await post("cloud.addGateway", { cloudId: west.id, hostId: west.hostIds[0], publicAddress: w1, nat: "none" });
  const [eastGw1, eastGw2, westGw] = agents;
  // east's first gateway and west's have shaken hands; east's second has no tunnel yet
  eastGw1!.links = [fresh(w1)];
  westGw!.links = [fresh(e1)];
  await Promise.all(agents.map((a) => a.send()));

  await page.goto("/clouds");
  await hydrated(page);
  const card = page.getByTestId("cloud-east").getByTestId("cloud-gateways");
  await expect(card).toContainText("No gateway host yet");
  const add = async (hostname: string, address: string, nat: string) => {
    await card.getByRole("button", { name: "Add gateway" }).click();
    await card.getByTestId("gateway-host").selectOption({ label: `${hostname} (online)` });
    await card.getByLabel("Public address").fill(address);
    await card.getByLabel("The address is").selectOption(nat);
    await card.getByRole("button", { name: "Add gateway" }).click();
    await expect(card.getByTestId("cloud-gateway").filter({ hasText: hostname })).toBeVisible();
  };
  await add(eastGw1!.hostname, e1, "none");
  // a private address is refused with the field named; nothing is added
  await card.getByRole("button", { name: "Add gateway" }).click();
  await card.getByLabel("Public address").fill("10.1.2.3");
  await card.getByRole("button", { name: "Add gateway" }).click();
  await expect(card.getByRole("alert")).toContainText("must be a public address (10.1.2.3 is in 10.0.0.0/8)");
  await card.getByRole("button", { name: "Cancel" }).click();
  await expect(card.getByTestId("cloud-gateway")).toHaveCount(1);
  await add(eastGw2!.hostname, e2, "one-to-one");

  const first = card.getByTestId("cloud-gateway").filter({ hasText: eastGw1!.hostname });
  const second = card.getByTestId("cloud-gateway").filter({ hasText: eastGw2!.hostname });
  await expect(card.getByTestId("cloud-gateway")).toHaveCount(2);
  await expect(first).toContainText(`${eastGw1!.hostname} at ${e1}`);
  await expect(first).toContainText("online");
  await expect(first).toContainText("1 of 1 tunnels encrypted");
  await expect(first.getByTestId("gateway-tunnel")).toHaveAttribute("data-state", "encrypted");
  await expect(second).toContainText(`${eastGw2!.hostname} at ${e2} (behind 1:1 NAT)`);
  await expect(second).toContainText("0 of 1 tunnels encrypted");
  await expect(second.getByTestId("gateway-tunnel")).toHaveAttribute("data-state", "down");
  await expect(second.getByTestId("gateway-tunnel")).toContainText(`${eastGw2!.hostname} reports no tunnel to`);
  await expect(card).toContainText("New connections spread over the gateways that are up");
  // the link between the clouds is encrypted through the healthy pair
  await expect(card.getByTestId("cloud-link-row").filter({ hasText: "to west" })).toHaveAttribute(
    "data-state",
    "encrypted",
  );
  await screenshot(page, "cloud-card-two-gateways");

  page.once("dialog", (d) => void d.accept());
  await card.getByRole("button", { name: `Remove gateway ${eastGw2!.hostname}` }).click();
  await expect(card.getByTestId("cloud-gateway")).toHaveCount(1);
  await expect(card.getByTestId("cloud-gateway")).toContainText(eastGw1!.hostname);
});
