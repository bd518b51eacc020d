import path from "node:path";
import { expect, test } from "@playwright/test";
import { email, expectInConsole, rowAction, screenshot, signUp } from "./helpers.ts";
import { enrollLabHosts, exec, nav, reportLabOnFailure, root, startLab, type Lab } from "./lab.ts";

/**
 * A VM's serial console in the browser, on real parts: a lab host enrolled from the page, a busybox
 * VM launched from the page (QEMU under the real agent), "Serial console" from its row, xterm.js
 * over the console's relay to the host's agent and QEMU's serial socket; a typed command is
 * answered by the guest's shell.
 */
let lab: Lab | undefined;

test.describe.configure({ mode: "serial", timeout: 300_000 });

test.beforeAll(async () => {
  test.setTimeout(480_000); // a cold machine builds the VM guest first (a kernel download)
  await exec(path.join(root, "infra/images/build-guest.sh"), [], { timeout: 300_000 });
  lab = await startLab("serial");
});

test.afterEach(async ({ page: _ }, testInfo) => reportLabOnFailure(lab, testInfo));

test.afterAll(async () => {
  await lab?.stop();
});

test("open a running VM's serial console and see the guest answer a typed command", async ({ page }) => {
  await signUp(page, { name: "Sara", email: email("serial") });
  await expectInConsole(page);
  await enrollLabHosts(page, lab!, "ser", [1]);
  const origin = new URL(page.url()).origin;
  const clouds = (await (await page.request.get("/api/v1/clouds")).json()) as { id: string; name: string }[];
  const cloudId = clouds.find((c) => c.name === "ser-dc1")!.id;
  const post = async (p: string, data: unknown) => {
    const res = await page.request.post(`/api/trpc/${p}`, { data, headers: { origin } });
    expect(res.status(), await res.text()).toBe(200);
    return ((await res.json()) as { result: { data: { id: string } } }).result.data;
  };
  const vpc = await post("vpc.create", { name: "consoles", cidr: "10.78.0.0/16" });
  await post("subnet.create", { vpcId: vpc.id, cloudId, name: "ser-a", cidr: "10.78.1.0/24" });

  await nav(page, "Instances");
  await page.getByRole("button", { name: "Launch instance" }).click();
  const form = page.getByRole("form", { name: "Launch instance" });
  await form.getByLabel("Name", { exact: true }).fill("vm-tty");
  await form.locator("select[name=subnetId]").selectOption({ label: "consoles / ser-a (10.78.1.0/24)" });
  await form.locator("select[name=runtime]").selectOption("qemu");
  await form.getByLabel("Image", { exact: true }).fill("nvi-busybox");
  await form.getByRole("button", { name: "Launch" }).click();
  const row = page.getByTestId("instance-vm-tty");
  await expect(row).toContainText("running", { timeout: 150_000 });

  await rowAction(row, "Serial console");
  await expect(page).toHaveURL(/\/instances\/inst_\w+\/console$/);
  const state = page.getByTestId("serial-console-state");
  await expect(state).toHaveAttribute("data-state", "connected", { timeout: 30_000 });
  const terminal = page.getByTestId("serial-console");
  await terminal.click();
  // the answer, not the echo of the typing: the guest's shell computes 41+1
  await expect(async () => {
    await page.keyboard.type("echo hi-$((41+1))");
    await page.keyboard.press("Enter");
    await expect(terminal.locator(".xterm-rows")).toContainText("hi-42", { timeout: 5_000 });
  }).toPass({ timeout: 30_000, intervals: [1_000] });
  await screenshot(page, "serial-console-answered");

  // the VM stopped: the console says so and offers no new session
  await nav(page, "Instances");
  await rowAction(page.getByTestId("instance-vm-tty"), "Stop");
  await expect(page.getByTestId("instance-vm-tty")).toContainText("stopped", { timeout: 60_000 });
  await page.goBack();
  await expect(page.getByTestId("serial-console-state")).toHaveAttribute("data-state", "vm-not-running");
  await expect(page.getByTestId("serial-console-state")).toContainText("vm-tty is stopped");
});
