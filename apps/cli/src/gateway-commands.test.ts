import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "./args.ts";
import { findCommand } from "./commands.ts";

/** The command `argv` names, and what it would send for the words after its own. */
function request(argv: string[]) {
  const found = findCommand(argv);
  if (!found) throw new Error(`no command for ${argv.join(" ")}`);
  const a = parseArgs(argv.slice(found.rest), new Set());
  return { method: found.command.method, path: found.command.path(a), body: found.command.body?.(a) };
}

describe("a link's mode on the command line", () => {
  it("puts the mode word to the pair's link", () => {
    expect(request(["clouds", "link-mode", "cld_a", "cld_b", "direct"])).toEqual({
      method: "PUT",
      path: "/clouds/cld_a/links/cld_b",
      body: { mode: "direct" },
    });
    expect(request(["clouds", "link-mode", "cld_a", "cld_b", "encrypted"]).body).toEqual({ mode: "encrypted" });
  });

  it("refuses a missing or unknown mode word as a usage error, naming both modes", () => {
    expect(() => request(["clouds", "link-mode", "cld_a", "cld_b", "wireguard"])).toThrow(UsageError);
    expect(() => request(["clouds", "link-mode", "cld_a", "cld_b", "wireguard"])).toThrow(
      /give the mode: encrypted .* or direct .*, not "wireguard"/,
    );
    expect(() => request(["clouds", "link-mode", "cld_a", "cld_b"])).toThrow(/give the mode: encrypted/);
    expect(() => request(["clouds", "link-mode", "cld_a"])).toThrow(/give the peer cloud id/);
  });

  it("shows each link with its mode, the clouds by name", () => {
    const links = findCommand(["clouds", "links"])!.command;
    expect(links.columns).toEqual(["a", "b", "mode", "state", "rttMs", "pathMtu", "tunnelsUp", "reason"]);
    const link = {
      a: { cloudId: "cld_a", name: "aws" },
      b: { cloudId: "cld_b", name: "office" },
      mode: "direct",
      state: "direct",
      reason: null,
      rttMs: null,
      pathMtu: null,
      tunnelMtu: null,
      tunnels: [{ state: "encrypted" }, { state: "down" }],
    };
    expect(links.human?.([link])).toEqual([
      {
        a: "aws",
        b: "office",
        mode: "direct",
        state: "direct",
        reason: null,
        rttMs: null,
        pathMtu: null,
        tunnelMtu: null,
        tunnelsUp: "1/2",
      },
    ]);
  });
});
