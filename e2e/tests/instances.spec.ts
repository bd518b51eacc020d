import { expect, test } from "@playwright/test";
import { email, expectInConsole, screenshot, signUp } from "./helpers.ts";

/**
 * The launch form and the operations page, without hosts: a launch is refused with the reason
 * and nothing is created. (Launching onto real lab hosts through the worker and agents is tested in
 * infra/dataplane, instances.integration.test.ts.)
 */
test("launching with no online host is refused clearly and creates nothing; operations stream live", async ({
  page,
}) => {
  await signUp(page, { name: "Ines", email: email("ines") });
  await expectInConsole(page);
  const post = async (path: string, data: unknown) => {
    const res = await page.request.post(`/api/trpc/${path}`, { data, headers: { origin: new URL(page.url()).origin } });
    expect(res.status(), await res.text()).toBe(200);
    return ((await res.json()) as { result: { data: { id: string } } }).result.data;
  };
  const cloud = await post("cloud.create", { name: "ams-metal", kind: "baremetal", region: "eu", datacenter: "ams1" });
  const vpc = await post("vpc.create", { name: "shop", cidr: "10.60.0.0/16" });
  await post("subnet.create", { vpcId: vpc.id, cloudId: cloud.id, name: "ams-a", cidr: "10.60.1.0/24" });

  await page.getByRole("link", { name: "Instances", exact: true }).click();
  await expect(page.getByText("No instances yet")).toBeVisible();
  await page.getByRole("button", { name: "Launch instance" }).click();
  const form = page.getByRole("form", { name: "Launch instance" });
  await form.getByLabel("Name", { exact: true }).fill("web-1");
  await expect(form.getByLabel("Subnet")).toContainText("shop / ams-a (10.60.1.0/24)");
  await form.getByRole("button", { name: "Launch" }).click();
  await expect(form.locator(".alert[role=alert]")).toContainText(
    "no online host in the subnet's cloud offers the netns runtime",
  );
  await form.getByLabel("Runtime").selectOption("docker");
  await expect(form.getByLabel("Image", { exact: true })).toBeVisible();
  await screenshot(page, "instances-launch-refused");
  await form.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByText("No instances yet")).toBeVisible();

  await page.getByRole("link", { name: "Operations", exact: true }).click();
  await expect(page.getByText("No operations yet")).toBeVisible();
  await expect(page.locator(".badge", { hasText: "live" })).toBeVisible();
  // the "live" badge above is the browser's EventSource connected; a stranger's token is refused
  const stranger = await page.request.get("/api/live", { headers: { authorization: "Bearer nvi_nope" } });
  expect(stranger.status()).toBe(401);
  await screenshot(page, "operations-live");
});
