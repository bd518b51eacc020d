import { describe, expect, it } from "vitest";
import { PublicAddress, SetHostGatewayInput } from "./gateways.ts";
import { HostFacts, WireguardPublicKey } from "./hosts.ts";

const issue = (
  schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } },
  v: unknown,
) => schema.safeParse(v).error?.issues[0]?.message ?? null;

describe("gateway input is validated at the edge", () => {
  it("a gateway's public address must be a well-formed public IPv4 address; the range it falls in is named", () => {
    for (const good of ["8.8.8.8", "203.0.113.101", "198.51.100.7", "100.128.0.1", "172.32.0.1"])
      expect(issue(PublicAddress, good), good).toBeNull();
    const cases: [string, RegExp][] = [
      ["10.1.2.3", /10\.0\.0\.0\/8/],
      ["172.31.5.6", /172\.16\.0\.0\/12/],
      ["192.168.1.1", /192\.168\.0\.0\/16/],
      ["100.64.1.11", /100\.64\.0\.0\/10/],
      ["127.0.0.1", /127\.0\.0\.0\/8/],
      ["169.254.1.1", /169\.254/],
      ["198.18.0.1", /198\.18/],
      ["224.0.0.1", /224\.0\.0\.0\/3/],
      ["255.255.255.255", /224\.0\.0\.0\/3/],
      ["0.1.2.3", /0\.0\.0\.0\/8/],
    ];
    for (const [bad, range] of cases) expect(issue(PublicAddress, bad), bad).toMatch(range);
    for (const malformed of ["1.2.3", "1.2.3.256", "01.2.3.4", "gw.example.com", " 8.8.8.8", ""])
      expect(issue(PublicAddress, malformed), malformed).toMatch(/IPv4 address/);
    // null: the host is no longer a gateway
    expect(SetHostGatewayInput.safeParse({ hostId: "host_abc", publicAddress: null }).success).toBe(true);
    expect(SetHostGatewayInput.safeParse({ hostId: "host_abc" }).success).toBe(false);
  });

  it("facts carry only a WireGuard public key, and older agents without one still validate", () => {
    expect(issue(WireguardPublicKey, "HXWr2F+ftTZgQGUm0mmNSIJaWGJURQagDZdsY8UpqWk=")).toBeNull();
    for (const bad of [
      "HXWr2F+ftTZgQGUm0mmNSIJaWGJURQagDZdsY8UpqWk",
      "x".repeat(44),
      "HXWr2F+ftTZgQGUm0mmNSIJaWGJURQagDZdsY8UpqWl=",
    ])
      expect(issue(WireguardPublicKey, bad), bad).not.toBeNull();
    const facts = {
      hostname: "h1",
      kernel: "6.1",
      cpus: 2,
      memoryMiB: 1024,
      ovsVersion: null,
      runtimes: { docker: false, qemu: false, netns: true },
    };
    expect(HostFacts.parse(facts).wireguardPublicKey).toBeNull();
    // a private key is no fact: dropped with any other unknown key, so it is never stored nor shown
    const leaked = HostFacts.parse({ ...facts, wireguardPrivateKey: "secret" });
    expect(JSON.stringify(leaked)).not.toContain("secret");
  });
});
