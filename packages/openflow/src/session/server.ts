import net from "node:net";
import tls from "node:tls";
import { SwitchSession } from "./switch-session.ts";
import { OpenFlowLogger, SessionOptions, silentLogger } from "./types.ts";

export interface OpenFlowTlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  /** CA that signed the switches' certificates; each switch must present one (mutual TLS). */
  ca: string | Buffer;
}

export interface OpenFlowServerOptions extends SessionOptions {
  port?: number;
  host?: string;
  tls?: OpenFlowTlsOptions;
  /** Called for every accepted connection, before the handshake; listen for `ready` on the session. */
  onSession: (session: SwitchSession) => void;
}

/** A TCP (or mutual-TLS) listener that turns every connection into a SwitchSession. */
export class OpenFlowServer {
  readonly sessions = new Set<SwitchSession>();
  private readonly server: net.Server;
  private readonly log: OpenFlowLogger;

  constructor(private readonly options: OpenFlowServerOptions) {
    this.log = options.logger ?? silentLogger;
    const accept = (socket: net.Socket): void => this.accept(socket);
    this.server = options.tls
      ? tls.createServer(
          {
            key: options.tls.key,
            cert: options.tls.cert,
            ca: options.tls.ca,
            requestCert: true,
            rejectUnauthorized: true,
          },
          accept,
        )
      : net.createServer(accept);
    this.server.on("tlsClientError", (err: Error, socket: tls.TLSSocket) => {
      this.log.warn("openflow TLS handshake failed", {
        peer: `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? 0}`,
        error: err.message,
      });
    });
    this.server.on("error", (err) => this.log.warn("openflow listener error", { error: err.message }));
  }

  /** Replace the listener's key, certificate and CA (a renewed certificate); new connections use them, sessions keep theirs. */
  setTls(options: OpenFlowTlsOptions): void {
    if (!(this.server instanceof tls.Server)) throw new Error("this OpenFlow listener is plain TCP");
    this.server.setSecureContext({ key: options.key, cert: options.cert, ca: options.ca });
  }

  private accept(socket: net.Socket): void {
    try {
      const session = new SwitchSession(socket, this.options);
      this.sessions.add(session);
      session.on("close", () => this.sessions.delete(session));
      this.options.onSession(session);
    } catch (e) {
      this.log.warn("could not start an openflow session", { error: e instanceof Error ? e.message : String(e) });
      socket.destroy();
    }
  }

  /** Start listening; resolves with the bound address (port 0 picks a free port). */
  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once("error", onError);
      this.server.listen(this.options.port ?? 6653, this.options.host ?? "127.0.0.1", () => {
        this.server.off("error", onError);
        const a = this.server.address() as net.AddressInfo;
        this.log.info("openflow listener up", { host: a.address, port: a.port, tls: Boolean(this.options.tls) });
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  /** Stop accepting, close every session, resolve when the listener is closed. */
  close(): Promise<void> {
    for (const s of this.sessions) s.close("controller shutting down");
    for (const s of this.sessions) s.socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
