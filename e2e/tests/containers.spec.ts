import { expect, test } from "@playwright/test";
import { email, expectInConsole, hydrated, rowAction, screenshot, signUp } from "./helpers.ts";
import { enrollLabHosts, nav, reportLabOnFailure, startLab, type Lab } from "./lab.ts";

/**
 * Containers people use (issue 17, item 6), in the browser on real parts: a lab host enrolled from
 * the page, a Docker container launched from the form with a command (one argument per line) and
 * environment variables, its logs from its row's menu (Refresh, control sequences gone, values of
 * the environment never shown), and a cloud's registry whose password shows only as "set".
 */
let lab: Lab | undefined;
const SECRET = "e2e-secret-value-never-shown";

test.describe.configure({ mode: "serial", timeout: 300_000 });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  lab = await startLab("containers");
});

test.afterEach(async ({ page: _ }, testInfo) => reportLabOnFailure(lab, testInfo));

test.afterAll(async () => {
  await lab?.stop();
});

test("launch a container with a command and an environment, then read its logs", async ({ page }) => {
  await signUp(page, { name: "Cora", email: email("containers") });
  await expectInConsole(page);
  await enrollLabHosts(page, lab!, "ctr", [1]);
  const origin = new URL(page.url()).origin;
  const clouds = (await (await page.request.get("/api/v1/clouds")).json()) as { id: string; name: string }[];
  const cloudId = clouds.find((c) => c.name === "ctr-dc1")!.id;
  const post = async (p: string, data: unknown) => {
    const res = await page.request.post(`/api/trpc/${p}`, { data, headers: { origin } });
    expect(res.status(), await res.text()).toBe(200);
    return ((await res.json()) as { result: { data: { id: string } } }).result.data;
  };
  const vpc = await post("vpc.create", { name: "apps", cidr: "10.79.0.0/16" });
  await post("subnet.create", { vpcId: vpc.id, cloudId, name: "ctr-a", cidr: "10.79.1.0/24" });

  await nav(page, "Instances");
  await page.getByRole("button", { name: "Launch instance" }).click();
  const form = page.getByRole("form", { name: "Launch instance" });
  await form.getByLabel("Name", { exact: true }).fill("echo-box");
  await form.locator("select[name=subnetId]").selectOption({ label: "apps / ctr-a (10.79.1.0/24)" });
  await form.locator("select[name=runtime]").selectOption("docker");
  await form.getByLabel("Image", { exact: true }).fill("local/busybox:latest");
  // a bad name is refused in the form, naming the line
  await form.getByTestId("launch-env").fill("GREETING=hi\n2BAD=x");
  await form.getByRole("button", { name: "Launch" }).click();
  await expect(form.locator(".alert[role=alert]")).toContainText("environment (line 2, 2BAD)");
  await form.getByTestId("launch-env").fill(`GREETING=hello from e2e\nAPI_TOKEN=${SECRET}`);
  await form
    .getByTestId("launch-command")
    .fill(["sh", "-c", 'echo "greeting=$GREETING"; printf "\\033[32mgreen\\033[0m\\n"; exec sleep 1000000'].join("\n"));
  await screenshot(page, "containers-launch-form");
  await form.getByRole("button", { name: "Launch" }).click();
  await expect(form).toHaveCount(0);
  const row = page.getByTestId("instance-echo-box");
  await expect(row).toContainText("running", { timeout: 120_000 });

  await rowAction(row, "Logs");
  await expect(page).toHaveURL(/\/instances\/inst_\w+\/logs$/);
  await expect(page.getByTestId("logs-launch")).toContainText("API_TOKEN, GREETING (values hidden)");
  const text = page.getByTestId("logs-text");
  await expect(async () => {
    await page.getByTestId("logs-refresh").click();
    await expect(text).toContainText("greeting=hello from e2e", { timeout: 3_000 });
  }).toPass({ timeout: 30_000, intervals: [1_000] });
  await expect(text).toContainText("green");
  expect(await text.textContent()).not.toContain("\u001b");
  expect(await page.content()).not.toContain(SECRET);
  await page.getByTestId("logs-follow").check();
  await expect(page.getByTestId("logs-status")).toContainText("read at");
  await screenshot(page, "containers-logs");
});

test("a cloud's registry shows its password only as set", async ({ page }) => {
  await signUp(page, { name: "Reg", email: email("registry") });
  await expectInConsole(page);
  const origin = new URL(page.url()).origin;
  const res = await page.request.post("/api/trpc/cloud.create", {
    data: { name: "reg-cloud", kind: "docker", region: "eu", datacenter: "fra1" },
    headers: { origin },
  });
  expect(res.status()).toBe(200);
  await nav(page, "Clouds");
  const card = page.getByTestId("registry-reg-cloud");
  await expect(card).toContainText("none: images must already be on the hosts");
  await card.getByRole("button", { name: "Set registry" }).click();
  await card.getByLabel("Server").fill("https://registry.example.com:5000");
  await card.getByLabel("Username").fill("puller");
  await card.getByLabel("Password or token").fill("registry-secret-e2e");
  await card.getByRole("button", { name: "Save registry" }).click();
  await expect(card).toContainText("registry.example.com:5000");
  await expect(card.getByTestId("registry-password")).toHaveText("set");
  await page.reload();
  await hydrated(page);
  await expect(card.getByTestId("registry-password")).toHaveText("set");
  expect(await page.content()).not.toContain("registry-secret-e2e");
  await screenshot(page, "containers-registry");
});
