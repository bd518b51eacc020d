import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect, type Page, type TestInfo } from "@playwright/test";
import { addHostTo } from "./helpers.ts";

/**
 * Real hosts for browser tests: lab hosts in two "datacenters" on this machine (own Open vSwitch
 * each, a router between; infra/dataplane local-hosts) and the real worker with its TSC, on the
 * queue the console of this run uses. Agents enroll with join strings copied from the page.
 */
export const root = path.resolve(import.meta.dirname, "../..");
export const consoleUrl = `http://127.0.0.1:${process.env.E2E_PORT ?? 3210}`;
export const exec = promisify(execFile);

interface Started {
  child: ChildProcess;
  output: string[];
}

function start(args: string[], env: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stdout?.on("data", (d: Buffer) => output.push(d.toString()));
  child.stderr?.on("data", (d: Buffer) => output.push(d.toString()));
  return { child, output };
}

async function waitFor(p: Started, marker: string, ms: number): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const text = p.output.join("");
    if (text.includes(marker)) return text;
    if (p.child.exitCode !== null || Date.now() > end)
      throw new Error(`no "${marker}" (exit ${p.child.exitCode}):\n${text.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stop(p: Started | undefined, ms = 30_000): Promise<void> {
  if (!p || p.child.exitCode !== null) return;
  const exited = new Promise((r) => p.child.once("exit", r));
  p.child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, ms))]);
  if (p.child.exitCode === null) p.child.kill("SIGKILL");
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface Lab {
  /** the local hosts' state file (`local-hosts-cli --state`): the lab's name, its TSC address */
  stateFile: string;
  /** enrolls the next free lab host of datacenter `dc` with a join string from the console */
  join(dc: number, joinString: string): Promise<void>;
  /** the worker's and the lab hosts' (agents') output so far */
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Starts the lab hosts and a worker; `stop()` tears both down (call it in afterAll). `shape`: more
 * `local-hosts serve` options (default: 2 datacenters × 1 host on a routed underlay).
 */
export async function startLab(label: string, shape: string[] = []): Promise<Lab> {
  const dir = await mkdtemp(path.join(tmpdir(), `nvi-e2e-${label}-`));
  const stateFile = path.join(dir, "local-hosts.json");
  let hosts: Started | undefined;
  let worker: Started | undefined;
  const lab: Lab = {
    stateFile,
    async join(dc, joinString) {
      await exec(
        process.execPath,
        [
          "--import",
          "tsx",
          "infra/dataplane/src/local-hosts-cli.ts",
          "join",
          "--dc",
          String(dc),
          "--state",
          stateFile,
          joinString,
        ],
        { cwd: root },
      );
    },
    logs: () =>
      `--- worker ---\n${worker?.output.join("") ?? ""}\n--- lab hosts and agents ---\n${hosts?.output.join("") ?? ""}`,
    async stop() {
      await stop(worker);
      await stop(hosts, 60_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    const tscPort = await freePort();
    hosts = start([
      "infra/dataplane/src/local-hosts-cli.ts",
      "serve",
      "--console",
      consoleUrl,
      "--state",
      stateFile,
      "--tsc-port",
      String(tscPort),
      ...shape,
    ]);
    const ready = JSON.parse(
      (await waitFor(hosts, '"ready":true', 180_000)).split("\n").find((l) => l.includes('"ready":true'))!,
    ) as { tscIp: string };
    worker = start(["apps/worker/src/main.ts"], {
      QUEUE_PREFIX: process.env.E2E_QUEUE_PREFIX!,
      TSC_BIND_ADDRESS: ready.tscIp,
      TSC_OPENFLOW_PORT: String(tscPort),
      WORKER_CONCURRENCY: "4",
    });
    await waitFor(worker, "worker started", 60_000);
  } catch (e) {
    await lab.stop();
    throw e;
  }
  return lab;
}

/**
 * `afterEach` of a spec on lab hosts: when the test failed, the worker's and the agents' output is
 * attached to the report and its tail printed (a CI log keeps only what the run prints; without it
 * an operation stuck in `pending` says nothing about why).
 */
export async function reportLabOnFailure(lab: Lab | undefined, testInfo: TestInfo): Promise<void> {
  if (!lab || testInfo.status === testInfo.expectedStatus) return;
  const text = lab.logs();
  await testInfo.attach("lab-logs.txt", { body: text, contentType: "text/plain" });
  console.log(`the lab's last output, after "${testInfo.title}" failed:\n${text.slice(-8000)}`);
}

export const nav = (page: Page, name: string) =>
  page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();

/** Registers a bare-metal cloud on the Clouds page and returns the join string its "Add host" shows for a local lab host. */
export async function registerCloud(page: Page, name: string, datacenter: string): Promise<string> {
  const card = await addHostTo(page, { name, region: "lab", datacenter });
  const local = (await card.getByTestId("local-join-command").textContent())!;
  return local.match(/'(nvj_[^']+)'/)![1]!;
}

/** Registers one cloud per datacenter and enrolls a lab host in each; waits until they are online. */
export async function enrollLabHosts(page: Page, lab: Lab, prefix: string, datacenters: number[]): Promise<void> {
  await nav(page, "Clouds");
  for (const dc of datacenters) await lab.join(dc, await registerCloud(page, `${prefix}-dc${dc}`, `dc${dc}`));
  for (const dc of datacenters)
    await expect(page.getByTestId(`cloud-${prefix}-dc${dc}`).getByText("online")).toBeVisible({ timeout: 60_000 });
}
