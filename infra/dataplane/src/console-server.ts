import { createServer, type Server } from "node:http";
import { SerialGate, createApiContext, handleAgentDownload, handleRest } from "@nvi/api";
import { createSerialRelay } from "@nvi/api/serial-relay";
import { Redis } from "ioredis";
import type { CoreDeps, OperationQueue } from "@nvi/core";

/**
 * The console's REST API over HTTP as a lab test serves it (packages/api on the real core), in the
 * test's process or in a process of its own (`console-main.ts`, which a fault test kills with
 * SIGKILL). `packageDir`: /install.sh and /downloads/*.deb from there, as the console does.
 */
export async function serveConsole(o: {
  deps: CoreDeps;
  operations: OperationQueue;
  bindIp: string;
  /** 0: any free port */
  port: number;
  packageDir?: string | undefined;
  /** with it, the serial console: tickets, the agents' long poll and the WebSocket relay (as server.mjs serves it) */
  redisUrl?: string | undefined;
}): Promise<{ server: Server; apiUrl: string }> {
  let apiUrl = "";
  const redis = o.redisUrl ? new Redis(o.redisUrl, { maxRetriesPerRequest: 2 }) : null;
  const serial = redis ? new SerialGate(redis) : undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = `http://${req.headers.host ?? o.bindIp}${req.url ?? "/"}`;
      const body = chunks.length > 0 && req.method !== "GET" ? Buffer.concat(chunks) : undefined;
      const request = new Request(url, { method: req.method, headers: req.headers as Record<string, string>, body });
      const download = o.packageDir
        ? handleAgentDownload(new URL(url).pathname, { packageDir: o.packageDir, publicUrl: apiUrl })
        : null;
      void (
        download ??
        handleRest(request, (r) =>
          createApiContext({
            deps: o.deps,
            headers: r.headers,
            method: r.method,
            sourceIp: req.socket.remoteAddress ?? null,
            publicUrl: apiUrl,
            getSessionUser: () => Promise.resolve(null),
            operations: o.operations,
            serial,
          }),
        )
      ).then(
        async (response) => {
          res.writeHead(response.status, Object.fromEntries(response.headers));
          res.end(Buffer.from(await response.arrayBuffer()));
        },
        (e: unknown) => {
          res.writeHead(500);
          res.end(String(e));
        },
      );
    });
  });
  await new Promise<void>((r) => server.listen(o.port, o.bindIp, r));
  apiUrl = `http://${o.bindIp}:${(server.address() as { port: number }).port}`;
  if (redis) {
    const subscriber = redis.duplicate();
    const relay = createSerialRelay({ redis, subscriber, publicUrl: apiUrl });
    server.on("upgrade", (req, socket, head) => relay.handleUpgrade(req, socket, head) || socket.destroy());
    server.on("close", () => {
      relay.close();
      redis.disconnect();
      subscriber.disconnect();
    });
  }
  return { server, apiUrl };
}
