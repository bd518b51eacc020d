import { describe, expect, it } from "vitest";
import { hasPorts, parsePort, portsError } from "./ports.ts";

describe("protocol and port fields", () => {
  it("reads one port in range only", () => {
    expect(parsePort("443")).toBe(443);
    expect(parsePort(" 22 ")).toBe(22);
    for (const bad of ["", "0", "65536", "-1", "80a", "1e3", "123456"]) expect(parsePort(bad)).toBeNull();
  });

  it("accepts port lists and ranges; empty is every port", () => {
    for (const ok of ["", "80", "80, 443,8000-8080"]) expect(portsError("tcp", ok)).toBeNull();
  });

  it("says which part of a port list is wrong", () => {
    expect(portsError("tcp", "80,http")).toBe('ports: "http" is not a port or a range like 8000-8080');
    expect(portsError("udp", "9000-8000")).toBe('ports: "9000-8000": ports run from 1 to 65535, low to high');
    expect(portsError("tcp", "70000")).not.toBeNull();
  });

  it("ignores the port text of protocols without ports", () => {
    expect(["any", "tcp", "udp", "icmp"].filter(hasPorts)).toEqual(["tcp", "udp"]);
    expect(portsError("icmp", "junk")).toBeNull();
    expect(portsError("any", "junk")).toBeNull();
  });
});
