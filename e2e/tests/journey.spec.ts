import path from "node:path";
import { expect, test } from "@playwright/test";
import { email, expectInConsole, hydrated, rowAction, screenshot, signUp } from "./helpers.ts";
import { enrollLabHosts, exec, nav, reportLabOnFailure, root, startLab, type Lab } from "./lab.ts";

/**
 * The tenant's whole journey in the browser, on real hosts: lab hosts in two "datacenters" on this
 * machine (own Open vSwitch each, a router between), the real worker with its TSC, the real agents
 * enrolled with join tokens copied from the page; a VPC drawn on the topology canvas; a namespace
 * instance in one datacenter and a Docker container in the other; the console's reachability check;
 * terminate; the address is released.
 */
let lab: Lab | undefined;

test.describe.configure({ mode: "serial", timeout: 240_000 });

test.beforeAll(async () => {
  test.setTimeout(480_000); // a cold machine builds the VM guest first (a kernel download)
  // the VM guest (Debian's kernel + a busybox initramfs; cached after the first build): hosts offer qemu only with it
  await exec(path.join(root, "infra/images/build-guest.sh"), [], { timeout: 300_000 });
  lab = await startLab("journey");
});

test.afterEach(async ({ page: _ }, testInfo) => reportLabOnFailure(lab, testInfo));

test.afterAll(async () => {
  await lab?.stop();
});

test("sign up, enroll lab hosts in two datacenters, draw a VPC, launch, check reachability, terminate", async ({
  page,
}) => {
  await signUp(page, { name: "Journey", email: email("journey") });
  await expectInConsole(page);
  // a cloud per datacenter; each lab host joins with the string the page shows
  await enrollLabHosts(page, lab!, "lab", [1, 2]);
  await screenshot(page, "journey-1-hosts-online");

  // draw the VPC: drag a box across both clouds on the topology canvas
  await nav(page, "Topology");
  await page.getByRole("button", { name: "Draw a VPC" }).click();
  const a = (await page.getByTestId("topo-cloud-lab-dc1").boundingBox())!;
  const b = (await page.getByTestId("topo-cloud-lab-dc2").boundingBox())!;
  await page.mouse.move(a.x - 4, a.y - 4);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x + b.width) / 2, a.y + 20, { steps: 5 });
  await page.mouse.move(b.x + b.width + 4, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
  for (const dc of [1, 2])
    await expect(page.getByTestId(`topo-cloud-lab-dc${dc}`)).toHaveAttribute("data-selected", "true");
  const drawn = page.getByRole("form", { name: "Create the drawn VPC" });
  await drawn.getByLabel("Name", { exact: true }).fill("journey");
  await drawn.getByLabel("CIDR", { exact: true }).fill("10.77.0.0/16");
  await expect(drawn.getByLabel("CIDR in lab-dc2")).toHaveValue("10.77.2.0/24");
  await screenshot(page, "journey-2-drawing");
  await drawn.getByRole("button", { name: "Create VPC" }).click();
  await expect(page.getByText("VPC journey created")).toBeVisible();
  // the canvas links each cloud to the new VPC, labelled with the subnet it holds there
  const canvas = page.getByRole("application", { name: "Topology canvas" });
  for (const cidr of ["10.77.1.0/24", "10.77.2.0/24"])
    await expect(
      canvas.getByRole("group", { name: /^Edge from cld_\w+ to vpc_\w+$/ }).filter({ hasText: cidr }),
    ).toHaveCount(1);

  // one namespace instance in dc1, one Docker container in dc2
  await nav(page, "Instances");
  const launch = async (name: string, subnet: string, runtime: "netns" | "docker" | "qemu") => {
    await page.getByRole("button", { name: "Launch instance" }).click();
    const form = page.getByRole("form", { name: "Launch instance" });
    await form.getByLabel("Name", { exact: true }).fill(name);
    await form.locator("select[name=subnetId]").selectOption({ label: `journey / ${subnet}` });
    await form.locator("select[name=runtime]").selectOption(runtime);
    if (runtime !== "netns")
      await form
        .getByLabel("Image", { exact: true })
        .fill(runtime === "docker" ? "local/busybox:latest" : "nvi-busybox");
    await form.getByRole("button", { name: "Launch" }).click();
    await expect(form).toHaveCount(0);
  };
  await launch("web-1", "lab-dc1 (10.77.1.0/24)", "netns");
  await launch("box-1", "lab-dc2 (10.77.2.0/24)", "docker");
  await launch("vm-1", "lab-dc2 (10.77.2.0/24)", "qemu");
  for (const name of ["web-1", "box-1", "vm-1"])
    await expect(page.getByTestId(`instance-${name}`)).toContainText("running", { timeout: 90_000 });
  await expect(page.getByTestId("instance-box-1")).toContainText("10.77.2.2");

  // the console's reachability check: a real packet from inside web-1 to the container
  const check = page.getByRole("form", { name: "Reachability check" });
  // the busybox VM runs no guest agent: not offered as a source, and the card says why
  await expect(check.locator("select[name=from] option", { hasText: "vm-1" })).toHaveCount(0);
  await expect(check.getByTestId("probe-source-problem-vm-1")).toHaveText(
    "vm-1 is not offered as a source: its guest (nvi-busybox) has no agent (qemu-guest-agent) to send a probe from; probe towards it from another instance",
  );
  await check.locator("select[name=from]").selectOption({ label: "web-1 (10.77.1.2)" });
  await check.locator("select[name=to]").selectOption({ label: "box-1 (10.77.2.2)" });
  await check.getByRole("button", { name: "Check" }).click();
  const verdict = page.getByTestId("reachability-result");
  await expect(verdict).toHaveAttribute("data-result", "open", { timeout: 30_000 });
  await expect(verdict).toContainText("web-1 (10.77.1.2) reaches box-1 (10.77.2.2)");
  // the container's own web server answers through the same path
  await check.locator("select[name=protocol]").selectOption("tcp");
  await check.getByLabel("Port").fill("80");
  await check.getByRole("button", { name: "Check" }).click();
  await expect(verdict).toContainText("over tcp/80");
  await expect(verdict).toHaveAttribute("data-result", "open");
  // the VM in the other datacenter: its guest boots for 10–20 s after QEMU starts, so ask until it answers
  await check.locator("select[name=to]").selectOption({ label: "vm-1 (10.77.2.3)" });
  await expect(async () => {
    await check.getByRole("button", { name: "Check" }).click();
    await expect(verdict).toContainText("vm-1", { timeout: 10_000 });
    await expect(verdict).toHaveAttribute("data-result", "open", { timeout: 10_000 });
  }).toPass({ timeout: 90_000, intervals: [2_000] });
  await screenshot(page, "journey-3-reachable");

  // stop the container: it keeps its address and is unreachable; start it: reachable again
  await check.locator("select[name=to]").selectOption({ label: "box-1 (10.77.2.2)" });
  await rowAction(page.getByTestId("instance-box-1"), "Stop");
  await expect(page.getByTestId("instance-box-1")).toContainText("stopped", { timeout: 60_000 });
  await check.getByRole("button", { name: "Check" }).click();
  await expect(verdict).toHaveAttribute("data-result", "no-answer", { timeout: 20_000 });
  await rowAction(page.getByTestId("instance-box-1"), "Start");
  await expect(page.getByTestId("instance-box-1")).toContainText("running", { timeout: 60_000 });
  await expect(async () => {
    await check.getByRole("button", { name: "Check" }).click();
    await expect(verdict).toHaveAttribute("data-result", "open", { timeout: 10_000 });
  }).toPass({ timeout: 60_000, intervals: [1_000] });
  await screenshot(page, "journey-4-stopped-and-started");

  // terminate the container and the VM: gone from the list, their addresses free again
  page.on("dialog", (d) => void d.accept());
  for (const name of ["box-1", "vm-1"]) {
    await rowAction(page.getByTestId(`instance-${name}`), "Terminate");
    await expect(page.getByTestId(`instance-${name}`)).toHaveCount(0, { timeout: 60_000 });
  }
  await nav(page, "VPCs");
  const inUse = (subnet: string) =>
    page.getByTestId("vpc-journey").getByTestId(`subnet-${subnet}`).getByTestId("in-use");
  await expect(inUse("lab-dc1")).toHaveText("1");
  await expect(inUse("lab-dc2")).toHaveText("0", { timeout: 30_000 });
  await screenshot(page, "journey-5-released");

  // rotate a host's credential: its agent picks the new one up on its next heartbeat and stays online
  await nav(page, "Clouds");
  const host = page.getByTestId("cloud-lab-dc1").locator("tr[data-testid^=host-]").first();
  const hostName = (await host.getAttribute("data-testid"))!.replace("host-", "");
  await rowAction(host, "Rotate credential");
  // the agent confirms on its next heartbeat (≤ 10 s): the audit log says so, and the host stays online
  await expect(page.getByTestId(`host-credential-rotating-${hostName}`)).toHaveCount(0, { timeout: 45_000 });
  await expect(async () => {
    await page.goto("/audit");
    await hydrated(page);
    await expect(page.getByTestId("audit-table")).toContainText("host.credential.rotated", { timeout: 5_000 });
  }).toPass({ timeout: 60_000, intervals: [1_000] });
  await nav(page, "Clouds");
  await expect(page.getByTestId(`host-${hostName}`)).toContainText("online");
});
