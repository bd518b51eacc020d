// Production entry of the console: Next.js behind a plain Node HTTP server, so the
// client address the app sees is the socket's, not whatever a client puts in
// X-Forwarded-For. Behind a reverse proxy you trust, set NVI_TRUST_PROXY=1 and the
// proxy's X-Forwarded-For is kept (its last entry is the client it saw).
// It also serves the serial console relay's WebSockets (@nvi/api/serial-relay; every other
// upgrade is refused): browsers and host agents meet here, each with a one-time ticket.
import { EventEmitter } from "node:events";
import { createServer } from "node:http";
import { createSerialRelay } from "@nvi/api/serial-relay";
import { Redis } from "ioredis";
import next from "next";

const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOST ?? "127.0.0.1";
const trustProxy = process.env.NVI_TRUST_PROXY === "1";

// Next.js attaches its own "upgrade" listener to the server it is handed (else to the first
// request's server) and would answer the relay's WebSockets too: it gets an emitter that never
// fires instead. A production console serves no other WebSocket (no HMR), so nothing is lost.
const app = next({ dev: false, hostname, port, dir: import.meta.dirname, httpServer: new EventEmitter() });
const handle = app.getRequestHandler();
await app.prepare();

const log = (level, msg, fields = {}) => console.log(JSON.stringify({ level, msg, ...fields }));
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 2 });
redis.on("error", (e) => log("warn", "serial relay: redis", { error: e.message }));
// a connection of its own for pub/sub: the browser's and the agent's sockets may reach different replicas
const subscriber = redis.duplicate();
subscriber.on("error", (e) => log("warn", "serial relay: redis subscriber", { error: e.message }));
const relay = createSerialRelay({
  redis,
  subscriber,
  publicUrl: process.env.PUBLIC_URL ?? `http://${hostname}:${port}`,
  log,
});

const server = createServer((req, res) => {
  const peer = req.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "";
  const realIp = req.headers["x-real-ip"];
  if (!trustProxy) {
    req.headers["x-forwarded-for"] = peer;
    delete req.headers["x-real-ip"];
  } else if (!req.headers["x-forwarded-for"]) {
    // A trusted proxy that only sets X-Real-IP names the client there.
    req.headers["x-forwarded-for"] = typeof realIp === "string" && realIp ? realIp : peer;
  }
  void handle(req, res);
});
server.on("upgrade", (req, socket, head) => {
  if (!relay.handleUpgrade(req, socket, head)) socket.destroy();
});
server.listen(port, hostname, () => {
  log("info", "console listening", { url: `http://${hostname}:${port}` });
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    relay.close();
    redis.disconnect();
    subscriber.disconnect();
    server.close(() => process.exit(0));
  });
}
