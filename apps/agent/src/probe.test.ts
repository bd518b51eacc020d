import { describe, expect, it } from "vitest";
import { parsePing } from "./probe.ts";

describe("parsePing", () => {
  it("reads the replies and the average round trip of iputils ping", () => {
    const out =
      "3 packets transmitted, 3 received, 0% packet loss, time 404ms\nrtt min/avg/max/mdev = 0.101/0.250/0.480/0.160 ms\n";
    expect(parsePing(out)).toEqual({ received: 3, rttMs: 0.25 });
  });
  it("no reply: zero received, no round trip", () => {
    expect(parsePing("3 packets transmitted, 0 received, 100% packet loss, time 2030ms\n")).toEqual({
      received: 0,
      rttMs: null,
    });
  });
  it("busybox wording", () => {
    expect(
      parsePing(
        "3 packets transmitted, 2 packets received, 33% packet loss\nround-trip min/avg/max = 0.1/1.5/2.0 ms\n",
      ),
    ).toEqual({ received: 2, rttMs: 1.5 });
  });
});
