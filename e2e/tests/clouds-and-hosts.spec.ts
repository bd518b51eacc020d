import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { email, expectInConsole, rowAction, run, screenshot, signUp } from "./helpers.ts";

const root = path.resolve(import.meta.dirname, "../..");

/** Runs the real agent as a host would (the bundle the package ships, built by `turbo run build`), with its own state dir, until the test stops it. */
function startAgent(env: Record<string, string>): ChildProcess & { output: string[] } {
  const agentEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("NVI_")));
  const child = spawn(process.execPath, [path.join(root, "apps/agent/dist/nvi-agent.cjs")], {
    env: { ...agentEnv, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  }) as ChildProcess & { output: string[] };
  child.output = [];
  child.stdout?.on("data", (d: Buffer) => child.output.push(d.toString()));
  child.stderr?.on("data", (d: Buffer) => child.output.push(d.toString()));
  return child;
}

test("register a cloud, join a host with the real agent, watch it go online, remove it", async ({ page }) => {
  const stateDir = await mkdtemp(path.join(tmpdir(), "nvi-e2e-agent-"));
  let agent: ReturnType<typeof startAgent> | null = null;
  try {
    await signUp(page, { name: "Cleo", email: email("cleo") });
    await expectInConsole(page);
    await page.getByRole("link", { name: "Clouds", exact: true }).click();
    await expect(page.getByText("No clouds registered yet")).toBeVisible();

    const register = async (name: string) => {
      await page.getByRole("button", { name: "Register cloud" }).click();
      const form = page.getByRole("form", { name: "Register cloud" });
      await form.getByLabel("Name").fill(name);
      await form.getByLabel("Kind").selectOption("docker");
      await form.getByLabel("Region").fill("eu-central");
      await form.getByLabel("Datacenter").fill("fra1");
      await form.getByRole("button", { name: "Register" }).click();
    };
    await register("fra-docker");
    const cloud = page.getByTestId("cloud-fra-docker");
    await expect(cloud).toContainText("No hosts yet");
    await register("fra-docker");
    await expect(page.locator(".alert[role=alert]")).toContainText('a cloud named "fra-docker" already exists');
    await page.getByRole("button", { name: "Cancel" }).click();

    await cloud.getByRole("button", { name: "Add host" }).click();
    const command = (await cloud.getByTestId("join-command").textContent())!;
    const joinString = command.match(/sudo sh -s -- '([^']+)'$/)![1]!;
    expect(joinString).toMatch(/^nvj_[0-9A-Za-z]{36}@http:\/\/127\.0\.0\.1:\d+$/);
    await screenshot(page, "clouds-join-command");

    const hostname = `e2e-host-${run}`;
    agent = startAgent({
      NVI_JOIN: joinString,
      NVI_STATE_DIR: stateDir,
      NVI_HOSTNAME: hostname,
      NVI_FABRIC_ADDRESS: "100.64.1.10",
    });
    const row = page.getByTestId(`host-${hostname}`);
    await expect(row).toContainText("online", { timeout: 30_000 });
    await expect(row).toContainText("100.64.1.10");
    await screenshot(page, "clouds-host-online");
    await page.getByRole("link", { name: "Topology" }).click();
    await expect(page.getByTestId(`topo-host-${hostname}`)).toHaveAttribute("data-status", "online");
    // the canvas's cloud node names its datacenter
    await expect(page.getByTestId("topo-cloud-fra-docker")).toContainText("eu-central/fra1");
    await screenshot(page, "topology");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Clouds", exact: true }).click();

    // A second agent with the same one-off token is refused.
    const second = startAgent({ NVI_JOIN: joinString, NVI_STATE_DIR: `${stateDir}-2`, NVI_HOSTNAME: `${hostname}-2` });
    const code = await new Promise<number | null>((resolve) => second.on("exit", resolve));
    expect(code, second.output.join("")).toBe(3);
    expect(second.output.join("")).toContain("is used");
    const tokens = cloud.locator("details", { hasText: "Join tokens" });
    await tokens.locator("summary").click();
    await expect(tokens).toContainText("1 / 1");
    await expect(tokens).toContainText("used");

    page.once("dialog", (d) => void d.accept());
    await rowAction(row, "Remove");
    await expect(row).toHaveCount(0);
    const exited = await new Promise<number | null>((resolve) => agent!.on("exit", resolve));
    expect(exited, agent.output.join("")).toBe(3);
    expect(agent.output.join("")).toContain("the console refused this agent");
    agent = null;

    await page.getByRole("link", { name: "Audit log" }).click();
    await expect(page.getByTestId("audit-table")).toContainText("host.enrolled");
    await expect(page.getByTestId("audit-table")).toContainText("host.removed");
  } finally {
    agent?.kill("SIGTERM");
    await rm(stateDir, { recursive: true, force: true });
    await rm(`${stateDir}-2`, { recursive: true, force: true });
  }
});
