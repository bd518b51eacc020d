import { expect, test, type Page } from "@playwright/test";
import { email, expectInConsole, screenshot, signUp } from "./helpers.ts";
import { enrollLabHosts, nav, reportLabOnFailure, startLab, type Lab } from "./lab.ts";

/**
 * Connectivity policy in the browser, on real lab hosts with the real worker and TSC: a fresh VPC
 * is flat (default → default plugged); unplugging it previews the pairs that lose access and,
 * applied, the probe gets no answer; groups by label and a tcp/80 rule from the editor's preset
 * open web → db again, and "can A reach B, and why?" shows the configuration's answer beside the
 * live probe.
 */
let lab: Lab | undefined;

test.describe.configure({ mode: "serial", timeout: 300_000 });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  lab = await startLab("policy");
});

test.afterEach(async ({ page: _ }, testInfo) => reportLabOnFailure(lab, testInfo));

test.afterAll(async () => {
  await lab?.stop();
});

async function post<T>(page: Page, path: string, data: unknown): Promise<T> {
  const res = await page.request.post(`/api/trpc/${path}`, { data, headers: { origin: new URL(page.url()).origin } });
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { result: { data: T } }).result.data;
}

/** Waits for the apply operation the panel shows to succeed, with a per-VEB confirmation step. */
async function expectApplied(page: Page, panel: string): Promise<void> {
  const op = page.getByTestId(panel).getByTestId("policy-operation");
  await expect(op).toHaveAttribute("data-status", "succeeded", { timeout: 30_000 });
  await expect(op).toContainText(/VEB of .*confirmed after [\d.]+ ms/);
}

test("unplug the flat default, plug web → db on tcp/80 from the rule editor, and ask why", async ({ page }) => {
  await signUp(page, { name: "Pia", email: email("policy") });
  await expectInConsole(page);
  await enrollLabHosts(page, lab!, "pol", [1]);
  const clouds = (
    (await (await page.request.get("/api/trpc/cloud.list")).json()) as {
      result: { data: { id: string; name: string }[] };
    }
  ).result.data;
  const vpc = await post<{ id: string }>(page, "vpc.create", { name: "shop", cidr: "10.88.0.0/16" });
  const subnet = await post<{ id: string }>(page, "subnet.create", {
    vpcId: vpc.id,
    cloudId: clouds.find((c) => c.name === "pol-dc1")!.id,
    name: "dc1-a",
    cidr: "10.88.1.0/24",
  });

  // web-1 (a namespace) from the launch form with its labels; db-1 (a container serving tcp/80) through the API
  await nav(page, "Instances");
  await page.getByRole("button", { name: "Launch instance" }).click();
  const form = page.getByRole("form", { name: "Launch instance" });
  await form.getByLabel("Name", { exact: true }).fill("web-1");
  await form.getByLabel("Address", { exact: true }).fill("10.88.1.10");
  await form.getByLabel("Labels", { exact: true }).fill("tier=web");
  await form.getByRole("button", { name: "Launch" }).click();
  await expect(form).toHaveCount(0);
  await post(page, "instance.launch", {
    name: "db-1",
    subnetId: subnet.id,
    runtime: "docker",
    image: "local/busybox:latest",
    address: "10.88.1.20",
    labels: { tier: "db" },
  });
  for (const name of ["web-1", "db-1"])
    await expect(page.getByTestId(`instance-${name}`)).toContainText("running", { timeout: 90_000 });
  await expect(page.getByTestId("instance-labels-web-1")).toContainText("tier=web");
  await expect(page.getByTestId("instance-labels-db-1")).toContainText("tier=db");
  await screenshot(page, "policy-1-labelled-instances");

  // a fresh VPC is flat: default → default is plugged; one click previews what unplugging cuts
  await nav(page, "Policies");
  const cell = page.getByTestId("matrix-cell-default-default");
  await expect(cell).toHaveAttribute("data-state", "plugged");
  await cell.click();
  const matrixChange = page.getByTestId("matrix-change");
  await expect(matrixChange.getByTestId("policy-preview-changes")).toContainText("web-1 → db-1: loses any");
  await expect(matrixChange.getByTestId("policy-preview-changes")).toContainText("db-1 → web-1: loses any");
  await screenshot(page, "policy-2-unplug-preview");
  await page.getByTestId("matrix-change-apply").click();
  await expectApplied(page, "matrix-change");
  await expect(cell).toHaveAttribute("data-state", "unplugged");
  await screenshot(page, "policy-3-unplugged");
  await page.getByTestId("matrix-change-close").click();

  // groups by label; a selector the API refuses says which part is wrong
  await page.getByTestId("group-new").click();
  const bad = page.getByRole("form", { name: "Create group" });
  await bad.getByLabel("Name", { exact: true }).fill("web");
  await bad.getByLabel("Members by label").fill("Tier=web");
  await bad.getByRole("button", { name: "Preview" }).click();
  await expect(bad.getByRole("alert")).toContainText(`matchLabels: "Tier=web": label keys: lower-case`);
  await bad.getByRole("button", { name: "Cancel" }).click();
  for (const [name, selector, member] of [
    ["web", "tier=web", "web-1"],
    ["db", "tier=db", "db-1"],
  ] as const) {
    await page.getByTestId("group-new").click();
    const g = page.getByRole("form", { name: "Create group" });
    await g.getByLabel("Name", { exact: true }).fill(name);
    await g.getByLabel("Members by label").fill(selector);
    await g.getByRole("button", { name: "Preview" }).click();
    await expect(page.getByTestId("group-change").getByTestId("policy-preview-none")).toBeVisible();
    await page.getByTestId("group-change-apply").click();
    await expect(page.getByTestId(`group-members-${name}`)).toHaveText(member);
    await page.getByTestId("group-change-close").click();
  }
  await expect(page.getByTestId("matrix-cell-web-db")).toHaveAttribute("data-state", "unplugged");

  // web → db on tcp/80 from the rule editor's HTTP preset: the preview lists what web-1 gains
  await page.getByTestId("rule-new").click();
  const editor = page.getByRole("form", { name: "Rule editor" });
  await editor.locator("select[name=source]").selectOption({ label: "group web" });
  await editor.locator("select[name=dstGroupId]").selectOption({ label: "group db" });
  await editor.locator("select[name=preset]").selectOption({ label: "HTTP (tcp/80)" });
  await expect(editor.locator("input[name=ports]")).toHaveValue("80");
  await editor.getByLabel("Description").fill("web servers call the db's http");
  await editor.getByRole("button", { name: "Preview" }).click();
  const ruleChange = page.getByTestId("rule-change");
  await expect(ruleChange.getByTestId("policy-preview-changes")).toContainText("web-1 → db-1: gains tcp/80");
  await expect(ruleChange.getByTestId("policy-preview-changes")).not.toContainText("db-1 → web-1");
  await screenshot(page, "policy-4-rule-preview");
  await page.getByTestId("rule-change-apply").click();
  await expectApplied(page, "rule-change");
  await expect(page.getByTestId("rules-table")).toContainText("tcp/80");
  await expect(page.getByTestId("matrix-cell-web-db")).toHaveAttribute("data-state", "partial");
  await expect(page.getByTestId("matrix-cell-db-web")).toHaveAttribute("data-state", "unplugged");

  // "can A reach B, and why?": configuration beside the live probe
  const ask = page.getByRole("form", { name: "Can A reach B" });
  const answer = page.getByTestId("explain-result");
  const probe = page.getByTestId("reachability-result");
  const question = async (from: string, to: string, protocol: string, port?: number) => {
    await ask.locator("select[name=from]").selectOption({ label: from });
    await ask.locator("select[name=to]").selectOption({ label: to });
    await ask.locator("select[name=protocol]").selectOption(protocol);
    if (port !== undefined) await ask.locator("input[name=port]").fill(String(port));
    await ask.getByRole("button", { name: "Ask" }).click();
  };
  await question("db-1 (10.88.1.20)", "web-1 (10.88.1.10)", "tcp", 80);
  await expect(answer).toHaveAttribute("data-allowed", "false");
  await expect(answer).toContainText("Denied");
  await expect(answer.getByTestId("explain-reason")).toContainText("no rule");
  await expect(probe).toHaveAttribute("data-result", "no-answer", { timeout: 30_000 });
  await screenshot(page, "policy-5-db-to-web-denied");

  await question("web-1 (10.88.1.10)", "db-1 (10.88.1.20)", "tcp", 80);
  await expect(answer).toHaveAttribute("data-allowed", "true");
  await expect(answer.getByTestId("explain-reason")).toContainText("allowed by rule");
  await expect(answer).toContainText("web servers call the db's http");
  await expect(probe).toHaveAttribute("data-result", "open", { timeout: 30_000 });
  await expect(probe).toContainText("over tcp/80");
  // the same packet traced through the VEB's installed flows (nothing sent): the pair's flows deliver it
  await page.getByTestId("trace-flows").click();
  await expect(page.getByTestId("trace-result")).toHaveAttribute("data-verdict", "delivered", { timeout: 30_000 });
  await screenshot(page, "policy-6-web-to-db-allowed");

  // relabelling is a policy change too: the preview says db-1 would drop out of group db (cancelled)
  await nav(page, "Instances");
  await page.getByTestId("instance-labels-edit-db-1").click();
  await page.getByRole("form", { name: "Labels of db-1" }).locator("input[name=labelsText]").fill("tier=cache");
  await page.getByRole("form", { name: "Labels of db-1" }).getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("labels-change-db-1").getByTestId("policy-preview-changes")).toContainText(
    "web-1 → db-1: loses tcp/80",
  );
  await screenshot(page, "policy-7-relabel-preview");
  await page.getByTestId("labels-change-db-1-cancel").click();
  await expect(page.getByTestId("instance-labels-db-1")).toContainText("tier=db");
  await nav(page, "Policies");

  // the drift report: a table once the TSC has read a VEB back, an empty state before
  await expect(page.getByTestId("realization-table").or(page.getByTestId("realization-empty"))).toBeVisible();
});

test("deny list and peerings: previewed, applied, refusals named", async ({ page }) => {
  await signUp(page, { name: "Dana", email: email("guardrails") });
  await expectInConsole(page);
  await post(page, "vpc.create", { name: "shop", cidr: "10.91.0.0/16" });
  const ops = await post<{ id: string }>(page, "vpc.create", { name: "ops", cidr: "10.92.0.0/16" });
  const clash = await post<{ id: string }>(page, "vpc.create", {
    name: "clash",
    cidr: "10.91.0.0/16",
    allowOverlap: true,
  });
  await nav(page, "Policies");
  await page.getByTestId("policy-vpc").selectOption({ label: "shop (10.91.0.0/16)" });

  // a guardrail by labels: the API's refusal of an empty entry is shown as it is; a real one is previewed and applied
  const deny = page.getByRole("form", { name: "Add deny entry" });
  await deny.getByRole("button", { name: "Preview deny" }).click();
  await expect(page.getByTestId("deny-change").getByRole("alert")).toContainText("srcLabels: name at least one label");
  await page.getByTestId("deny-change-cancel").click();
  await deny.getByLabel("From labels").fill("env=prod");
  await deny.getByLabel("To labels").fill("env=dev");
  await deny.getByLabel("Description").fill("prod never talks to dev");
  await deny.getByRole("button", { name: "Preview deny" }).click();
  await expect(page.getByTestId("deny-change").getByTestId("policy-preview-none")).toBeVisible();
  await page.getByTestId("deny-change-apply").click();
  await expect(page.getByTestId("deny-table")).toContainText("prod never talks to dev");
  await expect(page.getByTestId("deny-table")).toContainText("env=prod");

  // peering: an overlapping VPC is refused with the reason; two VPCs of one organization peer at once
  const peer = page.getByRole("form", { name: "Request peering" });
  await peer.getByLabel("Peer VPC id").fill(clash.id);
  await peer.getByRole("button", { name: "Preview peering" }).click();
  await expect(page.getByTestId("peering-change").getByRole("alert")).toContainText("overlaps");
  await screenshot(page, "policy-8-peering-refused");
  await page.getByTestId("peering-change-cancel").click();
  await peer.getByLabel("Peer VPC id").fill(ops.id);
  await peer.getByRole("button", { name: "Preview peering" }).click();
  await page.getByTestId("peering-change-apply").click();
  await expect(page.getByTestId("peerings-table")).toContainText("active");
  // the peered VPC is now a possible source of a rule into shop
  await page.getByTestId("rule-new").click();
  await expect(page.getByRole("form", { name: "Rule editor" }).locator("select[name=source]")).toContainText(
    "peered VPC ops",
  );
  await screenshot(page, "policy-9-guardrails");
});
