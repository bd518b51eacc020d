import { describe, expect, it } from "vitest";
import { readTscEnv } from "./env.ts";

const files = { TSC_TLS_KEY_FILE: "/k.pem", TSC_TLS_CERT_FILE: "/c.pem", TSC_TLS_CA_FILE: "/ca.pem" };

describe("readTscEnv", () => {
  it("defaults to 127.0.0.1:6653 with mutual TLS", () => {
    expect(readTscEnv(files)).toEqual({
      TSC_OPENFLOW_PORT: 6653,
      TSC_BIND_ADDRESS: "127.0.0.1",
      TSC_INSECURE_TCP: "0",
      ...files,
    });
  });
  it("parses a port and address", () => {
    expect(readTscEnv({ ...files, TSC_OPENFLOW_PORT: "16653", TSC_BIND_ADDRESS: "0.0.0.0" })).toMatchObject({
      TSC_OPENFLOW_PORT: 16653,
      TSC_BIND_ADDRESS: "0.0.0.0",
    });
  });
  it("refuses to start without certificates unless plain TCP is asked for by name", () => {
    expect(() => readTscEnv({})).toThrow(/mutual TLS/);
    expect(() => readTscEnv({ TSC_TLS_KEY_FILE: "/k.pem" })).toThrow(/mutual TLS/);
    expect(readTscEnv({ TSC_INSECURE_TCP: "1" })).toMatchObject({ TSC_INSECURE_TCP: "1" });
  });
  it("rejects a bad port or address", () => {
    expect(() => readTscEnv({ ...files, TSC_OPENFLOW_PORT: "70000" })).toThrow();
    expect(() => readTscEnv({ ...files, TSC_OPENFLOW_PORT: "abc" })).toThrow();
    expect(() => readTscEnv({ ...files, TSC_BIND_ADDRESS: "localhost:1" })).toThrow();
  });
});
