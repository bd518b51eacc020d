import { expect, test } from "@playwright/test";
import { facts, trpc } from "./gateway-agents.ts";
import { email, expectInConsole, hydrated, run, screenshot, signUp } from "./helpers.ts";

/**
 * Issue 15: the links between clouds joined through gateways tell the truth in the console. Two
 * gateway clouds and their gateway hosts are made through the real API; the hosts' heartbeats carry
 * `gatewayLinks` as their agents report them (handshake, round trip, path MTU). The Topology page
 * draws the link with its state, RTT and MTU (`data-testid="cloud-link"`, `data-state`), a down link
 * with its reason on hover and focus and in its accessible name; each cloud's card shows its gateways
 * and links.
 */
const link = (peerAddress: string, handshakeSecondsAgo: number, rttMs: number) => ({
  peerAddress,
  lastHandshakeAt: new Date(Date.now() - handshakeSecondsAgo * 1000).toISOString(),
  rxBytes: 4096,
  txBytes: 8192,
  rttMs,
  tunnelMtu: 1500,
  pathMtu: 1500,
  measuredAt: new Date().toISOString(),
});

let heartbeats: ReturnType<typeof setInterval> | undefined;
test.afterEach(() => clearInterval(heartbeats));

test("the link between two gateway clouds: encrypted with RTT and MTU, then down with the reason", async ({ page }) => {
  await signUp(page, { name: "Gita", email: email("links") });
  await expectInConsole(page);
  const post = trpc(page);
  const octet = 1 + Math.floor(Math.random() * 250);
  const gateway = async (name: string, address: string | null) => {
    const cloud = await post("cloud.create", {
      name,
      kind: "baremetal",
      region: "eu",
      datacenter: name,
      interconnect: "gateway",
    });
    const { joinString } = await post("joinToken.create", {
      cloudId: cloud.id,
      reusable: false,
      usageLimit: null,
      expiresInHours: 1,
    });
    const hostname = `gw-${name}-${run}`;
    const enrolled = await page.request.post("/api/v1/agent/enroll", {
      data: { joinToken: joinString, facts: facts(hostname) },
    });
    expect(enrolled.status(), await enrolled.text()).toBe(200);
    const { hostId, credential } = (await enrolled.json()) as { hostId: string; credential: string };
    if (address) await post("host.setGateway", { hostId, publicAddress: address });
    // like an agent: the last links again with every heartbeat (every few seconds, below), so the host stays online
    let links: unknown = null;
    const send = async () => {
      const res = await page.request.post("/api/v1/agent/heartbeat", {
        headers: { authorization: `Bearer ${credential}` },
        data: { facts: facts(hostname, links) },
      });
      expect(res.status(), await res.text()).toBe(200);
    };
    const beat = (now: unknown) => ((links = now), send());
    agents.push(send);
    return { name, hostname, address: address ?? "", beat };
  };
  const agents: (() => Promise<void>)[] = [];
  heartbeats = setInterval(() => agents.forEach((send) => void send().catch(() => undefined)), 5_000);
  const a = await gateway("aws", `203.0.113.${octet}`);
  const b = await gateway("office", `198.51.100.${octet}`);
  await a.beat([link(b.address, 20, 1.2)]);
  await b.beat([link(a.address, 25, 1.6)]);

  await page.goto("/topology");
  await hydrated(page);
  const edge = page.getByTestId("rf__edge-link-aws-office");
  const drawn = edge.getByTestId("cloud-link");
  await expect(drawn).toHaveAttribute("data-state", "encrypted");
  await expect(drawn).toContainText("WireGuard · encrypted · 1.4 ms · MTU 1500");
  await expect(edge).toHaveClass(/encrypted/);
  await expect(edge).toHaveAttribute("aria-label", /encrypted \(WireGuard\), round trip 1\.4 ms, path MTU 1500/);
  await expect(page.getByTestId("cloud-links")).toContainText(
    "aws ↔ office: encrypted round trip 1.4 ms, path MTU 1500",
  );
  await screenshot(page, "topology-cloud-link-encrypted");

  // the office gateway has not shaken hands with aws for five minutes: down, and why
  await b.beat([link(a.address, 300, 1.6)]);
  await expect(drawn).toHaveAttribute("data-state", "down", { timeout: 15_000 });
  await expect(drawn).toContainText("WireGuard · down");
  // five minutes when sent; the page may read it a little later: 5 or 6 min
  const reasonStart = `no WireGuard handshake from ${b.hostname} to ${a.address} for `;
  const reason = new RegExp(`${reasonStart.replace(/[.]/g, "\\.")}[56] min`);
  await expect(edge).toHaveAttribute(
    "aria-label",
    new RegExp(`^Link between clouds aws and office: down: ${reason.source}$`),
  );
  const shown = drawn.getByTestId("cloud-link-reason");
  await expect(shown).toBeHidden();
  await drawn.locator(".react-flow__edge-textbg").hover(); // the label's background takes the pointer
  await expect(shown).toBeVisible();
  await expect(shown).toHaveText(reason);
  await page.mouse.move(0, 0);
  await expect(shown).toBeHidden();
  await edge.focus();
  await expect(shown).toBeVisible();
  await expect(page.getByTestId("cloud-links")).toContainText(new RegExp(`aws ↔ office: down ${reason.source}`));
  await screenshot(page, "topology-cloud-link-down");

  // a third gateway cloud without a gateway host: its links say so
  await gateway("colo", null);
  await page.reload();
  await hydrated(page);
  const lonely = page.getByTestId("rf__edge-link-aws-colo").getByTestId("cloud-link");
  await expect(lonely).toHaveAttribute("data-state", "no-gateway");
  await expect(page.getByTestId("rf__edge-link-aws-colo")).toHaveAttribute(
    "aria-label",
    /cloud colo has no gateway host/,
  );

  // each cloud's card: its gateways with their health, and its links
  await page.goto("/clouds");
  await hydrated(page);
  const card = page.getByTestId("cloud-office").getByTestId("cloud-gateways");
  await expect(card.getByTestId("cloud-gateway")).toContainText(`${b.hostname} at ${b.address}`);
  await expect(card.getByTestId("cloud-gateway")).toContainText("online");
  const toAws = card.getByTestId("cloud-link-row").filter({ hasText: "to aws" });
  await expect(toAws).toHaveAttribute("data-state", "down");
  await expect(toAws).toContainText(reason);
  await expect(page.getByTestId("cloud-colo").getByTestId("cloud-gateways")).toContainText("No gateway host yet");
  await b.beat([link(a.address, 5, 1.6)]);
  await expect(
    page.getByTestId("cloud-aws").getByTestId("cloud-link-row").filter({ hasText: "to office" }),
  ).toHaveAttribute("data-state", "encrypted", { timeout: 20_000 });
  await screenshot(page, "clouds-gateways-and-links");

  // the owner declares aws ↔ office a trusted direct link on the card: it asks first (a "no" changes
  // nothing), then the link is direct on the card and on the Topology page; and back to encrypted
  const awsRow = page.getByTestId("cloud-aws").getByTestId("cloud-link-row").filter({ hasText: "to office" });
  const picker = awsRow.getByTestId("cloud-link-mode");
  await expect(picker).toHaveValue("encrypted");
  page.once("dialog", (d) => void d.dismiss());
  await picker.selectOption("direct");
  await expect(picker).toHaveValue("encrypted");
  // what the console holds, read again: still encrypted
  await page.reload();
  await hydrated(page);
  await expect(awsRow).toHaveAttribute("data-mode", "encrypted");
  await expect(picker).toHaveValue("encrypted");
  let asked = "";
  page.once("dialog", (d) => {
    asked = d.message();
    void d.accept();
  });
  await picker.selectOption("direct");
  await expect(awsRow).toHaveAttribute("data-state", "direct", { timeout: 15_000 });
  expect(asked).toMatch(/cross unencrypted/);
  await expect(awsRow).toContainText("trusted direct");
  await expect(
    page.getByTestId("cloud-office").getByTestId("cloud-link-row").filter({ hasText: "to aws" }),
  ).toHaveAttribute("data-mode", "direct");
  await screenshot(page, "clouds-link-direct");
  await page.goto("/topology");
  await hydrated(page);
  await expect(drawn).toHaveAttribute("data-state", "direct");
  await expect(drawn).toContainText("direct · trusted, not encrypted");
  await expect(edge).toHaveClass(/direct/);
  await screenshot(page, "topology-cloud-link-direct");
  await page.goto("/clouds");
  await hydrated(page);
  page.once("dialog", (d) => void d.accept());
  await picker.selectOption("encrypted");
  await expect(awsRow).toHaveAttribute("data-state", "encrypted", { timeout: 15_000 });
});
