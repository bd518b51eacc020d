import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeMessage, encodeMessage } from "../codec/codec.ts";
import { Framer } from "./framer.ts";
import { OpenFlowServer } from "./server.ts";
import type { SwitchSession } from "./switch-session.ts";

/** Mutual TLS with certificates made here by the openssl CLI: a CA, the controller, one switch, and a stranger. */
let dir: string;
const pem = (name: string) => readFileSync(path.join(dir, name));
function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}
/** A new P-256 key written to `<name>.key`, unencrypted (the openssl arguments that say so). */
const newKey = (name: string) => [
  "-newkey",
  "ec",
  "-pkeyopt",
  "ec_paramgen_curve:prime256v1",
  "-nodes",
  "-keyout",
  `${name}.key`,
];
function issue(name: string, ca: string, cn: string): void {
  openssl("req", "-new", ...newKey(name), "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
  openssl(
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-days",
    "2",
    "-out",
    `${name}.crt`,
  );
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "nvi-of-tls-"));
  for (const ca of ["ca", "rogue-ca"])
    openssl("req", "-x509", ...newKey(ca), "-out", `${ca}.crt`, "-days", "2", "-subj", `/CN=${ca}`);
  issue("controller", "ca", "127.0.0.1");
  issue("switch", "ca", "switch-0abc");
  issue("rogue", "rogue-ca", "switch-rogue");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dial(port: number, cert: string): Promise<{ socket: tls.TLSSocket; first: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      port,
      host: "127.0.0.1",
      ca: pem("ca.crt"),
      key: pem(`${cert}.key`),
      cert: pem(`${cert}.crt`),
      checkServerIdentity: () => undefined,
    });
    const framer = new Framer();
    const first = new Promise<string>((r, j) => {
      socket.on("data", (c: Buffer) => framer.push(c, (f) => r(decodeMessage(f).type)));
      socket.on("close", () => j(new Error("closed")));
      socket.on("error", () => undefined);
    });
    first.catch(() => undefined);
    socket.once("secureConnect", () => resolve({ socket, first }));
    socket.once("error", reject);
  });
}

/** Our controller on a free port, with its certificate, trusting only our CA; the sessions it accepted. */
async function tlsServer() {
  const sessions: SwitchSession[] = [];
  const server = new OpenFlowServer({
    port: 0,
    tls: { key: pem("controller.key"), cert: pem("controller.crt"), ca: pem("ca.crt") },
    onSession: (s) => sessions.push(s),
  });
  const { port } = await server.listen();
  return { sessions, server, port };
}

describe("OpenFlow over mutual TLS", () => {
  it("accepts a switch whose certificate our CA signed and runs the handshake over TLS", async () => {
    const { sessions, server, port } = await tlsServer();
    try {
      const { socket, first } = await dial(port, "switch");
      expect(await first).toBe("hello");
      socket.write(encodeMessage({ type: "hello", xid: 1, version: 4, versions: [4] }));
      await new Promise((r) => setTimeout(r, 50));
      expect(sessions).toHaveLength(1);
      expect(sessions[0]?.peerCommonName).toBe("switch-0abc");
      expect((socket.getPeerCertificate().subject as { CN?: string }).CN).toBe("127.0.0.1");
      socket.destroy();
    } finally {
      await server.close();
    }
  });

  it("refuses a switch certificate from another CA", async () => {
    const { sessions, server, port } = await tlsServer();
    try {
      const attempt = dial(port, "rogue").then(({ first }) => first);
      await expect(attempt).rejects.toThrow();
      expect(sessions).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});
