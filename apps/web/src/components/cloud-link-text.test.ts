import { describe, expect, it } from "vitest";
import { cloudLinkText, directLinkQuestion, encryptedLinkQuestion } from "./cloud-link-text.ts";

describe("a link between clouds in words", () => {
  it("reads an encrypted link with its round trip and path MTU", () => {
    expect(cloudLinkText({ mode: "encrypted", state: "encrypted", reason: null, rttMs: 12.4, pathMtu: 1420 })).toEqual({
      state: "encrypted",
      short: "encrypted · 12 ms · MTU 1420",
      detail: "round trip 12 ms, path MTU 1420",
      long: "encrypted (WireGuard), round trip 12 ms, path MTU 1420",
      reason: null,
    });
  });

  it("reads a trusted direct link as trusted direct and not encrypted, with no reason to show", () => {
    expect(cloudLinkText({ mode: "direct", state: "direct", reason: null, rttMs: null, pathMtu: null })).toEqual({
      state: "direct",
      short: "trusted, not encrypted",
      detail: "private interconnect, not encrypted",
      long: "trusted direct (private interconnect, not encrypted)",
      reason: null,
    });
  });

  it("says a link declared direct is so while a cloud has no gateway, and nothing of it for an encrypted one", () => {
    const lonely = {
      state: "no-gateway",
      reason: "cloud colo has no gateway host",
      rttMs: null,
      pathMtu: null,
    } as const;
    expect(cloudLinkText({ ...lonely, mode: "direct" })).toMatchObject({
      short: "no gateway host",
      detail: "cloud colo has no gateway host (declared a trusted direct link)",
      long: "no gateway host: cloud colo has no gateway host (declared a trusted direct link)",
      reason: "cloud colo has no gateway host",
    });
    expect(cloudLinkText({ ...lonely, mode: "encrypted" }).long).toBe(
      "no gateway host: cloud colo has no gateway host",
    );
  });

  it("asks before a direct link, saying plainly what crosses unencrypted and what the interconnect must route", () => {
    const q = directLinkQuestion("aws", "office");
    expect(q).toContain("Traffic between aws and office will then cross unencrypted");
    expect(q).toContain("private interconnect");
    expect(q).toContain("routes each gateway's instance block to that gateway");
    expect(q).toMatch(/\?$/);
  });

  it("asks before going back to encrypted too (a keyboard change of the select never switches unasked)", () => {
    const q = encryptedLinkQuestion("aws", "office");
    expect(q).toContain("encrypted WireGuard tunnel");
    expect(q).toMatch(/encrypted\?$/);
  });
});
