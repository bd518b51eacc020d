import { createServer, connect, type Socket } from "node:net";
import { listenChannel, NAMED_STATEMENT_MAX_PARAMS, statementNames } from "@nvi/db";
import { afterAll, describe, expect, it } from "vitest";
import { testDeps } from "./test-support/kit.ts";

/**
 * Two guards of @nvi/db that a hostile or unlucky environment attacks: a tenant picking a list's
 * length (each length a new statement text) must not grow every connection's statement cache, and
 * a LISTEN connection that goes silent (a NAT forgetting it: no error, no notice ever again) must
 * be found and replaced, or the token cache would go on serving a revoked token. Real Postgres.
 */
const DATABASE_URL = process.env.DATABASE_URL ?? "";
const deps = testDeps();
afterAll(() => deps.db.$disconnect());

describe("named statements", () => {
  const args = (n: number) => Array.from({ length: n }, (_, i) => i);

  it("a list a tenant can lengthen runs unnamed past the parameter cap; one text keeps one name; later texts past the bound run unnamed", () => {
    const name = statementNames(3);
    const short = name({ sql: "SELECT $1", args: args(1) });
    expect(short).toMatch(/^nvi_/);
    expect(name({ sql: "SELECT $1", args: args(1) })).toBe(short);
    // an IN list of 17, 100, 1000 ids: never named, however many lengths are tried
    for (const n of [NAMED_STATEMENT_MAX_PARAMS + 1, 100, 1000])
      expect(
        name({
          sql: `SELECT * FROM t WHERE id IN (${args(n)
            .map((i) => `$${i + 1}`)
            .join(", ")})`,
          args: args(n),
        }),
      ).toBe("");
    expect(name({ sql: "SELECT $1, $2", args: args(2) })).toMatch(/^nvi_/);
    expect(name({ sql: "SELECT $1, $2, $3", args: args(3) })).toMatch(/^nvi_/);
    expect(name({ sql: "SELECT 4", args: [] })).toBe(""); // the fourth text: the bound of 3 is reached
    expect(name({ sql: "SELECT $1", args: args(1) })).toBe(short); // a known one stays named
  });
});

/** A TCP relay to Postgres that can go silent: it stops passing bytes on the connections it holds, closing none. */
async function silenceableRelay(to: URL): Promise<{ port: number; silence(): void; close(): void }> {
  const held: Socket[] = [];
  const all: Socket[] = [];
  const server = createServer((inbound) => {
    const outbound = connect(Number(to.port || 5432), to.hostname);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on("error", () => outbound.destroy());
    outbound.on("error", () => inbound.destroy());
    held.push(inbound, outbound);
    all.push(inbound, outbound);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const s of all) s.destroy();
      server.close();
    },
    silence: () => {
      for (const s of held.splice(0)) {
        s.unpipe();
        s.pause();
      }
    },
  };
}

describe("a LISTEN connection", () => {
  let relay: Awaited<ReturnType<typeof silenceableRelay>> | undefined;
  afterAll(() => relay?.close());

  it("that goes silent is found by its heartbeat and replaced: a notice sent afterwards arrives", async () => {
    const url = new URL(DATABASE_URL);
    relay = await silenceableRelay(url);
    const viaRelay = new URL(DATABASE_URL);
    viaRelay.hostname = "127.0.0.1";
    viaRelay.port = String(relay.port);
    const channel = `nvi_test_silent_${Date.now().toString(36)}`;
    const messages: string[] = [];
    const errors: string[] = [];
    let listening = 0;
    const listener = listenChannel(
      viaRelay.toString(),
      channel,
      (m) => messages.push(m),
      (e) => errors.push(e.message),
      () => void listening++,
    );
    try {
      await expect.poll(() => listening, { timeout: 10_000 }).toBe(1);
      relay.silence(); // the connection stays open, and nothing passes any more
      // the heartbeat's SELECT 1 goes unanswered: within two heartbeats it is replaced
      await expect.poll(() => listening, { timeout: 20_000, interval: 200 }).toBe(2);
      expect(errors.length).toBeGreaterThan(0);
      await deps.db.$executeRaw`SELECT pg_notify(${channel}, 'after the silence')`;
      await expect.poll(() => messages, { timeout: 5_000 }).toEqual(["after the silence"]);
    } finally {
      await listener.close();
    }
  }, 40_000);
});
