/**
 * Console page loads (issue 17): Topology (100 hosts, 1,000 instances), Instances with 1,000 rows
 * and Audit with 10,000 entries, time to interactive in Chromium, p50 / p99 per page per round.
 * Not a test: run it under the heavy lock, by hand (it prints the load average, which on a shared
 * machine says more about the figures than they do).
 *
 *   pnpm turbo run build --filter=@nvi/web
 *   flock /tmp/nvi-heavy.lock node --import tsx bench/console/run.ts [--rounds 3] [--loads 20] [--port 3390] [--console <checkout>]
 *
 * It starts the built console (`apps/web/server.mjs`) on its own port, signs a person up, seeds their
 * organization (seed.ts), then loads each page `loads` times per round in a fresh tab with the session.
 * "Interactive" is the first frame painted once the page's data is on screen (the first host on the
 * canvas, the row count under the Instances table, the 100th audit row) **and** React has hydrated
 * the page (`<html data-hydration>` is no longer "pending", set by the console's Providers): since
 * the pages bring their first data in the HTML (apps/web/src/server/prefetch.tsx), rows show before
 * the page answers clicks. A console without the mark (an older checkout) fetched its data from the
 * client after hydrating, so there the data alone says it. Times are from navigation start.
 * A second table splits each page's median load: HTML delivered, scripts loaded, DOM ready, the
 * page's first API request and last API answer (none: its data came with the HTML), the time the
 * API server took (summed), and when the data was first on screen.
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { createRequire } from "node:module";
import path from "node:path";
import { createCoreDeps } from "../../packages/core/src/index.ts";
import { seedConsole } from "./seed.ts";

const root = path.resolve(import.meta.dirname, "../..");
const { chromium } = createRequire(path.join(root, "e2e/package.json"))(
  "@playwright/test",
) as typeof import("@playwright/test");

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg("rounds", 3);
const loads = arg("loads", 20);
const port = arg("port", 3390);
// `--console <repo>`: run another checkout's built console (an old commit side by side), same seed
const consoleAt = (() => {
  const i = process.argv.indexOf("--console");
  return i > 0 ? path.resolve(process.argv[i + 1]!) : root;
})();
const base = `http://127.0.0.1:${port}`;

const PAGES = [
  { name: "Topology (100 hosts, 1,000 instances)", path: "/topology", ready: '[data-testid^="topo-host-"]' },
  { name: "Instances (1,000 rows)", path: "/instances", ready: '[data-testid="page-count"]' },
  { name: "Audit (10,000 entries)", path: "/audit", ready: '[data-testid="audit-table"] tbody tr:nth-child(100)' },
];

/** One load's milestones, ms from navigation start. */
interface Split {
  html: number;
  scripts: number;
  dcl: number;
  apiStart: number;
  apiEnd: number;
  apiServer: number;
  shown: number;
  ready: number;
}

const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(" ");
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function main() {
  const server = spawn(process.execPath, [path.join(consoleAt, "apps/web/server.mjs")], {
    cwd: consoleAt,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", PUBLIC_URL: base, QUEUE_PREFIX: `nvi-bench-${port}` },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const deps = createCoreDeps(process.env.DATABASE_URL ?? "");
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
  });
  try {
    for (let i = 0; ; i++) {
      if ((await fetch(`${base}/api/health`).catch(() => null))?.ok) break;
      if (i > 120) throw new Error("the console did not start");
      await new Promise((r) => setTimeout(r, 500));
    }
    const email = `bench-console-${Date.now().toString(36)}@example.test`;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${base}/sign-up`);
    await page.getByLabel("Name").fill("Bench");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("blue-ocean-42-kite");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    const seeded = await seedConsole(deps, email, { hosts: 100, instances: 1000, audit: 10_000 });
    console.log(
      `seeded ${seeded.hosts} hosts, ${seeded.instances} instances, ${seeded.audit} audit events in ${seeded.ms} ms`,
    );
    await page.close();
    console.log(`load average before: ${load()}`);
    const splits: string[] = [];
    console.log("| round | page | p50 ms | p99 ms | min | max | loads | load average (1/5/15 min) |");
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (let r = 1; r <= rounds; r++)
      for (const p of PAGES) {
        const times: Split[] = [];
        for (let k = 0; k < loads + 1; k++) {
          const tab = await context.newPage();
          await tab.goto(`${base}${p.path}`, { waitUntil: "commit" });
          // a string, not a function: tsx's helpers are not defined in the page
          const t = await tab.evaluate<Split>(
            `new Promise((resolve) => {
              let shown = null;
              const split = (ready) => {
                const nav = performance.getEntriesByType("navigation")[0];
                const api = performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/"));
                const scripts = performance.getEntriesByType("resource").filter((e) => e.initiatorType === "script");
                return {
                  html: nav.responseEnd,
                  scripts: Math.max(nav.responseEnd, ...scripts.map((e) => e.responseEnd)),
                  dcl: nav.domContentLoadedEventEnd,
                  apiStart: api.length ? Math.min(...api.map((e) => e.startTime)) : NaN,
                  apiEnd: api.length ? Math.max(...api.map((e) => e.responseEnd)) : NaN,
                  apiServer: api.reduce((sum, e) => sum + Math.max(0, e.responseStart - e.requestStart), 0),
                  shown,
                  ready,
                };
              };
              const check = () => {
                if (document.querySelector(${JSON.stringify(p.ready)})) shown ??= performance.now();
                if (shown !== null && document.documentElement.dataset.hydration !== "pending")
                  requestAnimationFrame(() => resolve(split(performance.now())));
                else requestAnimationFrame(check);
              };
              check();
            })`,
          );
          await tab.close();
          if (k > 0) times.push(t); // the first load warms the server's caches and compiles nothing else
        }
        const ready = times.map((t) => t.ready);
        // a milestone no load reached (no API request: the data came with the HTML) prints "—"
        const med = (f: (t: Split) => number) => {
          const xs = times.map(f).filter((x) => Number.isFinite(x));
          return xs.length ? Math.round(pct(xs, 50)) : "—";
        };
        console.log(
          `| ${r} | ${p.name} | ${Math.round(pct(ready, 50))} | ${Math.round(pct(ready, 99))} | ${Math.round(Math.min(...ready))} | ${Math.round(Math.max(...ready))} | ${times.length} | ${load()} |`,
        );
        splits.push(
          `| ${r} | ${p.name} | ${med((t) => t.html)} | ${med((t) => t.scripts)} | ${med((t) => t.dcl)} | ${med((t) => t.apiStart)} | ${med((t) => t.apiEnd)} | ${med((t) => t.apiServer)} | ${med((t) => t.shown)} | ${med((t) => t.ready)} |`,
        );
      }
    console.log(`load average after: ${load()}`);
    console.log(
      "\nWhere the time went, medians in ms from navigation start (API server = summed request → first byte):",
    );
    console.log(
      "| round | page | HTML | scripts loaded | DOM ready | first API request | last API answer | API server | data shown | interactive |",
    );
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const line of splits) console.log(line);
  } finally {
    await browser.close();
    server.kill("SIGTERM");
    await deps.db.$disconnect();
  }
}

await main();
