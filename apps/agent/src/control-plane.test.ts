import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CredentialRefusedError,
  IdentityRefusedError,
  LimitRefusedError,
  RefusedError,
  controlPlane,
} from "./control-plane.ts";
import { hostFacts } from "./test-support/spec.ts";

/** A stand-in console on loopback answering every call with the status and body a test sets. */
let server: Server;
let url = "";
let answer: { status: number; body: unknown } = { status: 200, body: {} };

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const refusal = (status: number, domainCode: string, message: string) => ({
  status,
  body: { message, data: { domainCode } },
});

describe("what the agent makes of the console's refusals", () => {
  it("a limit (hosts, the pool's blocks, a full pool) is a LimitRefusedError naming the code and the limit", async () => {
    const message = "the organization has 256 hosts, the console's limit per organization (NVI_ORG_HOST_LIMIT 256)";
    answer = refusal(403, "HOST_QUOTA_REACHED", message);
    const quota = await controlPlane(url)
      .enroll("nvj_x@http://c", hostFacts())
      .catch((e: unknown) => e);
    expect(quota).toBeInstanceOf(LimitRefusedError);
    // at enrollment it ends the agent like any refusal (exit 3)
    expect(quota).toBeInstanceOf(RefusedError);
    expect((quota as Error).message).toBe(`403 HOST_QUOTA_REACHED: ${message}`);
    for (const [status, code] of [
      [403, "INSTANCE_BLOCK_QUOTA_REACHED"],
      [409, "INSTANCE_POOL_FULL"],
    ] as const) {
      answer = refusal(status, code, "no block");
      await expect(controlPlane(url).heartbeat("nvh_x", hostFacts())).rejects.toBeInstanceOf(LimitRefusedError);
    }
  });

  it("other refusals keep their meaning", async () => {
    answer = refusal(409, "HOST_IDENTITY_CONFLICT", "host identity refused");
    await expect(controlPlane(url).heartbeat("nvh_x", hostFacts())).rejects.toBeInstanceOf(IdentityRefusedError);
    answer = refusal(401, "JOIN_TOKEN_INVALID", "the join token is expired");
    const bad = await controlPlane(url)
      .enroll("nvj_x@http://c", hostFacts())
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(RefusedError);
    expect(bad).not.toBeInstanceOf(LimitRefusedError);
    expect(bad).not.toBeInstanceOf(CredentialRefusedError); // no host credential was sent
    answer = refusal(401, "HOST_CREDENTIAL_INVALID", "the host credential is not valid");
    await expect(controlPlane(url).heartbeat("nvh_x", hostFacts())).rejects.toBeInstanceOf(CredentialRefusedError);
    answer = refusal(400, "VALIDATION_FAILED", "certificate request refused");
    const csr = await controlPlane(url)
      .heartbeat("nvh_x", hostFacts())
      .catch((e: unknown) => e);
    expect(csr).toBeInstanceOf(RefusedError);
    expect(csr).not.toBeInstanceOf(CredentialRefusedError);
    answer = refusal(403, "MISSING_SCOPE", "nope");
    await expect(controlPlane(url).heartbeat("nvh_x", hostFacts())).rejects.not.toBeInstanceOf(LimitRefusedError);
  });
});
