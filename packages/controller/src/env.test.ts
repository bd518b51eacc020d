import { describe, expect, it } from "vitest";
import { readTscEnv } from "./env.ts";

describe("readTscEnv", () => {
  it("defaults to 127.0.0.1:6653", () => {
    expect(readTscEnv({})).toEqual({ TSC_OPENFLOW_PORT: 6653, TSC_BIND_ADDRESS: "127.0.0.1" });
  });
  it("parses a port and address", () => {
    expect(readTscEnv({ TSC_OPENFLOW_PORT: "16653", TSC_BIND_ADDRESS: "0.0.0.0" })).toEqual({ TSC_OPENFLOW_PORT: 16653, TSC_BIND_ADDRESS: "0.0.0.0" });
  });
  it("rejects a bad port or address", () => {
    expect(() => readTscEnv({ TSC_OPENFLOW_PORT: "70000" })).toThrow();
    expect(() => readTscEnv({ TSC_OPENFLOW_PORT: "abc" })).toThrow();
    expect(() => readTscEnv({ TSC_BIND_ADDRESS: "localhost:1" })).toThrow();
  });
});
