import { describe, expect, it } from "vitest";
import { agentPackageFile, defaultControllerTarget, installCommand, isLoopbackUrl, upgradeCommand } from "./install.ts";
import { NVI_VERSION } from "./version.ts";

describe("agent install strings", () => {
  it("is one line naming the public URL twice: the script's and the join string's", () => {
    expect(installCommand("https://nvi.example.com/", "nvj_abc@https://nvi.example.com")).toBe(
      "curl -fsSL https://nvi.example.com/install.sh | sudo sh -s -- 'nvj_abc@https://nvi.example.com'",
    );
    expect(upgradeCommand("https://nvi.example.com")).toBe(
      "curl -fsSL https://nvi.example.com/install.sh | sudo sh -s -- --upgrade",
    );
    expect(agentPackageFile()).toBe(`nvi-agent_${NVI_VERSION}_amd64.deb`);
    expect(defaultControllerTarget("https://nvi.example.com:8443")).toBe("ssl:nvi.example.com:6653");
  });

  it("knows a loopback console address from a reachable one", () => {
    for (const u of [
      "http://127.0.0.1:3000",
      "http://localhost:3000",
      "http://[::1]:3000",
      "http://127.5.0.1",
      "http://0.0.0.0:3000",
    ])
      expect(isLoopbackUrl(u), u).toBe(true);
    for (const u of ["https://nvi.example.com", "http://10.0.0.5:3000", "http://128.0.0.1", "not a url"])
      expect(isLoopbackUrl(u), u).toBe(false);
  });
});
