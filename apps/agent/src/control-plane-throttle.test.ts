import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MAX_RETRY_AFTER_SECONDS, controlPlane, retryAfterSeconds } from "./control-plane.ts";
import { hostFacts } from "./test-support/spec.ts";

/** A stand-in console on loopback: the first `refusals` calls get 429 + Retry-After, the rest a heartbeat's answer. */
let server: Server;
let url = "";
let refusals = 0;
let retryAfter: string | null = "7";
const seen: { path: string; authorization: string | undefined; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      seen.push({ path: req.url ?? "", authorization: req.headers.authorization, body });
      if (refusals > 0) {
        refusals--;
        res.writeHead(429, {
          "content-type": "application/json",
          ...(retryAfter ? { "retry-after": retryAfter } : {}),
        });
        res.end(JSON.stringify({ message: "this host sends too many calls", data: { domainCode: "RATE_LIMITED" } }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      const poll = req.url?.endsWith("/agent/commands");
      res.end(JSON.stringify(poll ? { commands: [], missing: [] } : { hostId: "host_1", heartbeatSeconds: 10 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen.length = 0;
  retryAfter = "7";
});

/** A clock the client's sleeps move forward (no real waiting), and what it was told to log. */
function harness() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const logs: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const options = {
    now: () => now,
    sleep: (ms: number) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    log: (level: "info" | "warn", msg: string, fields: Record<string, unknown>) => logs.push({ level, msg, fields }),
  };
  return { options, sleeps, logs, now: () => now };
}

describe("the agent and the console's rate limit (429 + Retry-After)", () => {
  it("waits as long as Retry-After says, sends the same call again, and does not give up", async () => {
    refusals = 3;
    const h = harness();
    const api = controlPlane(url, h.options);
    const facts = hostFacts();
    const answer = await api.heartbeat("nvh_same", facts);
    expect(answer.hostId).toBe("host_1");
    // three refusals, three waits of 7 s each, then the fourth try is answered
    expect(h.sleeps).toEqual([7000, 7000, 7000]);
    expect(seen).toHaveLength(4);
    // nothing dropped: the same credential and the same facts every time
    expect(new Set(seen.map((s) => `${s.authorization} ${s.body}`)).size).toBe(1);
    expect(seen[0]?.authorization).toBe("Bearer nvh_same");
    expect(JSON.parse(seen[0]?.body ?? "{}")).toMatchObject({ facts: { hostname: facts.hostname } });
    // told once, not once per refusal
    expect(h.logs.map((l) => l.level)).toEqual(["warn"]);
    expect(h.logs[0]?.fields).toMatchObject({ retryAfterSeconds: 7, error: "this host sends too many calls" });
    // a 429 soon after is the same episode; one after a quiet minute is told again
    refusals = 1;
    await api.heartbeat("nvh_same", facts);
    expect(h.logs).toHaveLength(1);
    await h.options.sleep(61_000);
    refusals = 1;
    await api.heartbeat("nvh_same", facts);
    expect(h.logs.map((l) => l.level)).toEqual(["warn", "warn"]);
  });

  it("every call of the client waits its turn once the console asked to slow down", async () => {
    refusals = 1;
    const h = harness();
    const api = controlPlane(url, h.options);
    const start = h.now();
    await api.heartbeat("nvh_x", hostFacts());
    // the command poll after it is sent no sooner than the time the console named
    expect(h.now() - start).toBeGreaterThanOrEqual(7000);
    const poll = await api.commands("nvh_x", []);
    expect(poll.commands).toEqual([]);
    expect(seen.map((s) => s.path)).toEqual([
      "/api/v1/agent/heartbeat",
      "/api/v1/agent/heartbeat",
      "/api/v1/agent/commands",
    ]);
  });

  it("reads Retry-After as seconds or a date, bounded; a missing one waits 5 s", async () => {
    const now = Date.parse("2026-12-06T06:00:00Z");
    expect(retryAfterSeconds("12", now)).toBe(12);
    expect(retryAfterSeconds("0", now)).toBe(1);
    expect(retryAfterSeconds("Sun, 06 Dec 2026 06:00:30 GMT", now)).toBe(30);
    expect(retryAfterSeconds("86400", now)).toBe(MAX_RETRY_AFTER_SECONDS);
    expect(retryAfterSeconds(null, now)).toBe(5);
    expect(retryAfterSeconds("soon", now)).toBe(5);
    refusals = 1;
    retryAfter = null;
    const h = harness();
    await controlPlane(url, h.options).heartbeat("nvh_x", hostFacts());
    expect(h.sleeps).toEqual([5000]);
  });
});
