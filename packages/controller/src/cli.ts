/** Run the TSC standalone: pnpm --filter @nvi/controller tsc:start (env: see env.ts; mutual TLS unless TSC_INSECURE_TCP=1). */
import { readFileSync } from "node:fs";
import type { OpenFlowLogger } from "@nvi/openflow";
import { l2LearningApp } from "./l2-learning-app.ts";
import { readTscEnv } from "./env.ts";
import { startTsc } from "./tsc.ts";

const line = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
const logger: OpenFlowLogger = { info: line("info"), warn: line("warn") };

const env = readTscEnv();
const app = process.argv.includes("--l2-learning") ? l2LearningApp() : undefined;
const tls =
  env.TSC_TLS_KEY_FILE && env.TSC_TLS_CERT_FILE && env.TSC_TLS_CA_FILE ? { key: readFileSync(env.TSC_TLS_KEY_FILE), cert: readFileSync(env.TSC_TLS_CERT_FILE), ca: readFileSync(env.TSC_TLS_CA_FILE) } : undefined;
const tsc = await startTsc({ port: env.TSC_OPENFLOW_PORT, host: env.TSC_BIND_ADDRESS, logger, app, syncOnConnect: app === undefined, tls, insecureTcp: !tls && env.TSC_INSECURE_TCP === "1" });
logger.info("tsc listening", { ...tsc.address });

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  logger.info("tsc stopping", { signal });
  void tsc.close().then(() => process.exit(0));
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("uncaughtException", (e) => logger.warn("uncaught exception (kept running)", { error: e.message }));
