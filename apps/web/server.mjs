// Production entry of the console: Next.js behind a plain Node HTTP server, so the
// client address the app sees is the socket's, not whatever a client puts in
// X-Forwarded-For. Behind a reverse proxy you trust, set NVI_TRUST_PROXY=1 and the
// proxy's X-Forwarded-For is kept (its last entry is the client it saw).
import { createServer } from "node:http";
import next from "next";

const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOST ?? "127.0.0.1";
const trustProxy = process.env.NVI_TRUST_PROXY === "1";

const app = next({ dev: false, hostname, port, dir: import.meta.dirname });
const handle = app.getRequestHandler();
await app.prepare();

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
server.listen(port, hostname, () => {
  console.log(JSON.stringify({ level: "info", msg: "console listening", url: `http://${hostname}:${port}` }));
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
