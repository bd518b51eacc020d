import { expect, test } from "@playwright/test";
import { email, expectInConsole, hydrated, screenshot, signUp } from "./helpers.ts";

test("draw a VPC across two clouds, with clear answers for bad ranges", async ({ page }) => {
  await signUp(page, { name: "Vic", email: email("vic") });
  await expectInConsole(page);
  for (const [name, datacenter] of [
    ["fra-docker", "fra1"],
    ["nyc-metal", "nyc3"],
  ] as const) {
    const res = await page.request.post("/api/trpc/cloud.create", {
      headers: { origin: new URL(page.url()).origin }, // a session's change must name its origin, as a browser page does
      data: { name, kind: name.endsWith("metal") ? "baremetal" : "docker", region: datacenter.slice(0, 3), datacenter },
    });
    expect(res.status()).toBe(200);
  }
  await page.getByRole("link", { name: "VPCs", exact: true }).click();
  await expect(page.getByText("No VPCs yet")).toBeVisible();

  const createVpc = async (name: string, cidr: string) => {
    await page.getByRole("button", { name: "Create VPC" }).first().click();
    const form = page.getByRole("form", { name: "Create VPC" });
    await form.getByLabel("Name").fill(name);
    await form.getByLabel("CIDR").fill(cidr);
    await form.getByRole("button", { name: "Create VPC" }).click();
  };
  await createVpc("public", "8.8.0.0/16");
  await expect(page.locator(".alert[role=alert]")).toContainText("not private address space");
  await page.getByRole("form", { name: "Create VPC" }).getByLabel("CIDR").fill("10.20.0.1/16");
  await page.getByRole("form", { name: "Create VPC" }).getByRole("button", { name: "Create VPC" }).click();
  await expect(page.locator(".alert[role=alert]")).toContainText("did you mean 10.20.0.0/16?");
  await page.getByRole("form", { name: "Create VPC" }).getByLabel("Name").fill("prod");
  await page.getByRole("form", { name: "Create VPC" }).getByLabel("CIDR").fill("10.20.0.0/16");
  await page.getByRole("form", { name: "Create VPC" }).getByRole("button", { name: "Create VPC" }).click();

  const vpc = page.getByTestId("vpc-prod");
  const addSubnet = async (name: string, cidr: string, cloud: string) => {
    const form = vpc.getByRole("form", { name: "Add subnet to prod" });
    await form.getByLabel("Subnet name").fill(name);
    await form.getByLabel("CIDR").fill(cidr);
    await form.getByLabel("In cloud").selectOption({ label: cloud });
    await form.getByRole("button", { name: "Add subnet" }).click();
  };
  await addSubnet("fra-a", "10.20.1.0/24", "fra-docker (fra/fra1)");
  await expect(vpc).toContainText("10.20.1.1");
  await addSubnet("nyc-a", "10.21.0.0/24", "nyc-metal (nyc/nyc3)");
  await expect(vpc.locator(".alert[role=alert]")).toContainText("is not inside VPC");
  await addSubnet("nyc-a", "10.20.2.0/24", "nyc-metal (nyc/nyc3)");
  await expect(vpc.getByRole("img", { name: "prod spans 2 cloud(s)" })).toBeVisible();
  await expect(vpc).toContainText("10.20.2.1");

  // the VPC's mark on the underlay: out of range is refused in the form, a good one is kept
  const mark = vpc.getByRole("form", { name: "Underlay DSCP of prod" });
  await expect(mark.getByLabel("Underlay DSCP")).toHaveValue("0");
  await mark.getByLabel("Underlay DSCP").fill("64");
  await mark.getByRole("button", { name: "Set mark" }).click();
  await expect(mark.locator(".alert[role=alert]")).toContainText("Underlay DSCP: a whole number from 0 to 63");
  await mark.getByLabel("Underlay DSCP").fill("46");
  await mark.getByRole("button", { name: "Set mark" }).click();
  await expect(mark.locator(".alert[role=alert]")).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(mark.getByLabel("Underlay DSCP")).toHaveValue("46");
  await screenshot(page, "vpcs");
});
