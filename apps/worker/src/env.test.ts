import { describe, expect, it } from "vitest";
import { parseWorkerEnv } from "./env.ts";

describe("worker env", () => {
  it("fills defaults and coerces numbers", () => {
    const env = parseWorkerEnv({
      DATABASE_URL: "postgresql://u@127.0.0.1/db",
      TSC_OPENFLOW_PORT: "16653",
      AUTH_SECRET: "s".repeat(32),
    });
    expect(env.TSC_OPENFLOW_PORT).toBe(16653);
    expect(env.WORKER_CONCURRENCY).toBe(16);
    expect(env.TSC_BIND_ADDRESS).toBe("127.0.0.1");
  });

  it("refuses bad values naming the variable", () => {
    expect(() => parseWorkerEnv({})).toThrow(/DATABASE_URL/);
    expect(() => parseWorkerEnv({ DATABASE_URL: "postgresql://u@h/d", TSC_OPENFLOW_PORT: "70000" })).toThrow(
      /TSC_OPENFLOW_PORT/,
    );
    expect(() => parseWorkerEnv({ DATABASE_URL: "postgresql://u@h/d", REDIS_URL: "http://x" })).toThrow(/REDIS_URL/);
  });

  it("starts the TSC with mutual TLS unless plain TCP is asked for by name", () => {
    const db = { DATABASE_URL: "postgresql://u@h/d" };
    expect(parseWorkerEnv({ ...db, AUTH_SECRET: "a".repeat(32) }).TSC_INSECURE_TCP).toBe("0");
    expect(() => parseWorkerEnv(db)).toThrow(/FABRIC_CA_SECRET/);
    expect(parseWorkerEnv({ ...db, TSC_INSECURE_TCP: "1" }).TSC_INSECURE_TCP).toBe("1");
    expect(parseWorkerEnv({ ...db, TSC_EMBEDDED: "0" }).TSC_EMBEDDED).toBe("0");
  });
});
