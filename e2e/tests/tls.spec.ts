import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { addHostTo, email, expectInConsole, screenshot, signUp } from "./helpers.ts";

/**
 * Issue 16, "the console over TLS": the shipped `infra/compose/Caddyfile` in front of a second
 * console started with `PUBLIC_URL=https://…`, exactly as compose wires them. Caddy's own private
 * CA (`tls internal`, here as the global `local_certs`) signs the certificate; curl and the
 * packaged agent trust it only when handed its root, as `install.sh --ca` does.
 */
const root = path.resolve(import.meta.dirname, "../..");
const base = Number(process.env.E2E_PORT ?? 3210);
const consolePort = base + 20;
const httpsPort = base + 21;
const httpPort = base + 22;
const publicUrl = `https://127.0.0.1:${httpsPort}`;

let dir: string;
let caFile: string;
const started: ChildProcess[] = [];
const logs = new Map<ChildProcess, string[]>();

function start(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const out: string[] = [];
  child.stdout?.on("data", (d: Buffer) => out.push(d.toString()));
  child.stderr?.on("data", (d: Buffer) => out.push(d.toString()));
  logs.set(child, out);
  started.push(child);
  return child;
}
const logOf = (child: ChildProcess) => (logs.get(child) ?? []).join("");

/** One HTTPS request trusting only `ca` (no CA: the system's roots): status and headers, or the TLS error. */
function get(url: string, ca?: string): Promise<{ status: number; headers: Record<string, unknown> } | Error> {
  return new Promise((resolve) => {
    const req = httpsRequest(url, { ...(ca ? { ca } : {}), timeout: 5_000 }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on("error", (e) => resolve(e));
    req.end();
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  dir = await mkdtemp(path.join(tmpdir(), "nvi-tls-"));
  const shipped = await readFile(path.join(root, "infra/compose/Caddyfile"), "utf8");
  // the test's own global options (ports, storage, no admin API, never the machine's trust store), then the file as shipped
  const global = [
    "{",
    "\tlocal_certs",
    "\tskip_install_trust",
    "\tadmin off",
    "\tdefault_bind 127.0.0.1",
    `\thttp_port ${httpPort}`,
    `\thttps_port ${httpsPort}`,
    `\tstorage file_system ${path.join(dir, "caddy")}`,
    "}",
    "",
  ].join("\n");
  await writeFile(path.join(dir, "Caddyfile"), global + shipped);
  start("caddy", ["run", "--config", path.join(dir, "Caddyfile"), "--adapter", "caddyfile"], {
    PATH: process.env.PATH,
    HOME: dir,
    XDG_DATA_HOME: dir,
    XDG_CONFIG_HOME: dir,
    NVI_DOMAIN: "127.0.0.1",
    NVI_CONSOLE_UPSTREAM: `127.0.0.1:${consolePort}`,
  });
  start("node", [path.join(root, "apps/web/server.mjs")], {
    ...process.env,
    PORT: String(consolePort),
    HOST: "127.0.0.1",
    PUBLIC_URL: publicUrl,
    NVI_TRUST_PROXY: "1",
    QUEUE_PREFIX: process.env.E2E_QUEUE_PREFIX,
  });
  caFile = path.join(dir, "caddy/pki/authorities/local/root.crt");
  const ca = await until("Caddy's private CA", () => readFile(caFile, "utf8"));
  await until("the console through Caddy", async () => {
    const r = await get(`${publicUrl}/api/health`, ca);
    return r instanceof Error || r.status !== 200 ? undefined : r;
  });
});

test.afterAll(async () => {
  for (const child of started) child.kill("SIGTERM");
  await Promise.all(
    started.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : Promise.resolve())),
  );
  await rm(dir, { recursive: true, force: true });
});

test("behind the shipped Caddyfile: HSTS, http redirected, a certificate trusted only with the console's CA", async () => {
  const ca = await readFile(caFile, "utf8");
  const trusted = await get(`${publicUrl}/api/health`, ca);
  expect(trusted).not.toBeInstanceOf(Error);
  expect((trusted as { headers: Record<string, unknown> }).headers["strict-transport-security"]).toBe(
    "max-age=31536000; includeSubDomains",
  );
  // without the CA the certificate is refused: nothing is trusted by accident
  const untrusted = await get(`${publicUrl}/api/health`);
  expect(untrusted).toBeInstanceOf(Error);
  expect((untrusted as Error).message).toMatch(/certificate/);
  // plain http on the proxy's port answers with a redirect to https (to 443: Caddy names no port in it)
  const plain = await fetch(`http://127.0.0.1:${httpPort}/clouds`, { redirect: "manual" });
  expect(plain.status).toBe(308);
  expect(plain.headers.get("location")).toBe("https://127.0.0.1/clouds");
});

test("signed in over https, the session cookie is Secure; Add host names the https console; the agent enrolls trusting its CA", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  // the browser is told to accept the certificate (it has no way to be given a CA here); curl and the agent are not
  const context = await browser.newContext({ baseURL: publicUrl, ignoreHTTPSErrors: true });
  const page = await context.newPage();
  await signUp(page, { name: "Tess", email: email("tess") });
  await expectInConsole(page);
  const session = (await context.cookies()).filter((c) => /session_token/.test(c.name));
  expect(session.length, JSON.stringify(await context.cookies())).toBeGreaterThan(0);
  for (const c of session)
    expect({ name: c.name, secure: c.secure, httpOnly: c.httpOnly }).toMatchObject({ secure: true, httpOnly: true });

  await page.getByRole("link", { name: "Clouds", exact: true }).click();
  const cloud = await addHostTo(page, { name: "tls-metal", region: "eu-west", datacenter: "tls1" });
  const line = (await cloud.getByTestId("join-command").textContent())!.trim();
  expect(line.startsWith(`curl -fsSL ${publicUrl}/install.sh | sudo sh -s -- 'nvj_`)).toBe(true);
  const join = line.match(/'([^']+)'$/)![1]!;
  expect(join.endsWith(`@${publicUrl}`)).toBe(true);
  await screenshot(page, "tls-add-host");

  // the packaged agent (the bundle install.sh runs), with only what install.sh writes: no CA first, then the CA
  const agent = (name: string, withCa: boolean) =>
    start("node", [path.join(root, "apps/agent/dist/nvi-agent.cjs")], {
      PATH: process.env.PATH,
      HOME: dir,
      NVI_JOIN: join,
      NVI_HOSTNAME: name,
      NVI_STATE_DIR: path.join(dir, `state-${name}`),
      ...(withCa ? { NODE_EXTRA_CA_CERTS: caFile } : {}),
    });
  const refused = agent(`tls-noca-${Date.now().toString(36)}`, false);
  await until("the agent without the CA says why it cannot enroll", () =>
    Promise.resolve(/cannot reach the console to enroll/.test(logOf(refused)) ? true : undefined),
  );
  expect(logOf(refused)).toMatch(/certificate/i);
  refused.kill("SIGTERM");

  const hostname = `tls-host-${Date.now().toString(36)}`;
  const trusted = agent(hostname, true);
  await expect(page.getByTestId(`host-${hostname}`), logOf(trusted)).toContainText("online", { timeout: 30_000 });
  await screenshot(page, "tls-host-online");
  await context.close();
});
