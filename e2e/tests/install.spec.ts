import { expect, test } from "@playwright/test";
import { addHostTo, email, expectInConsole, run, screenshot, signUp } from "./helpers.ts";

/** What Clouds → Add host tells a user to run on a server, and how an older agent is flagged. */
test("Add host shows one install line with the public URL; an older agent is flagged with its upgrade line", async ({
  page,
  baseURL,
}) => {
  await signUp(page, { name: "Ivo", email: email("ivo") });
  await expectInConsole(page);
  await page.getByRole("link", { name: "Clouds", exact: true }).click();
  const cloud = await addHostTo(page, { name: "ams-metal", region: "eu-west", datacenter: "ams1" });
  const line = (await cloud.getByTestId("join-command").textContent())!.trim();
  // one line: the script from PUBLIC_URL, the join string naming PUBLIC_URL (the console runs with PUBLIC_URL=baseURL)
  const escaped = baseURL!.replace(/[.:/]/g, "\\$&");
  expect(line).toMatch(
    new RegExp(`^curl -fsSL ${escaped}/install\\.sh \\| sudo sh -s -- 'nvj_[0-9A-Za-z]{36}@${escaped}'$`),
  );
  expect(line).not.toContain("\n");
  // the e2e console's PUBLIC_URL is 127.0.0.1: the user is warned that other machines cannot use it
  await expect(cloud.getByTestId("public-url-loopback")).toContainText("loopback");
  await screenshot(page, "clouds-add-host-install-line");

  // a host whose agent is older than the console: enrolled with the line's join string over the agent API
  const joinToken = line.match(/'([^']+)'$/)![1]!;
  const hostname = `old-agent-${run}`;
  const facts = {
    hostname,
    os: "Debian GNU/Linux 12 (bookworm)",
    kernel: "6.1.0",
    cpus: 2,
    memoryMiB: 2048,
    ovsVersion: "3.1.0",
    runtimes: { docker: false, qemu: false, netns: true },
    agentVersion: "0.0.9",
  };
  const enrolled = await page.request.post("/api/v1/agent/enroll", { data: { joinToken, facts } });
  expect(enrolled.status(), await enrolled.text()).toBe(200);
  const flag = page.getByTestId(`host-agent-outdated-${hostname}`);
  await expect(flag).toContainText("older than this console");
  await expect(flag).toContainText(`curl -fsSL ${baseURL}/install.sh | sudo sh -s -- --upgrade`);
  await expect(page.getByTestId(`host-${hostname}`)).toContainText("0.0.9");
  await screenshot(page, "clouds-agent-outdated");

  // the host limit is named where hosts are added; a host whose agent reports a guard missing is flagged
  await expect(cloud).toContainText("up to 256 hosts");
  const { credential } = (await enrolled.json()) as { credential: string };
  const beat = await page.request.post("/api/v1/agent/heartbeat", {
    headers: { authorization: `Bearer ${credential}` },
    data: {
      facts: {
        ...facts,
        guards: {
          datapath: "netdev",
          ports: { guard: "nftables-ingress", plugged: 2, unguarded: 1, unguardedNames: ["nvi-v7"] },
          fabric: { state: "missing", reason: "no interface with ofport 1 on veb0" },
          checkedAt: new Date().toISOString(),
        },
      },
    },
  });
  expect(beat.status(), await beat.text()).toBe(200);
  const guard = page.getByTestId(`host-guard-problem-${hostname}`);
  await expect(guard).toContainText("1 of 2 instance ports without their ingress guard (nvi-v7)");
  await expect(guard).toContainText("the fabric NIC's egress guard is missing");
  await screenshot(page, "clouds-host-guard-missing");
});
