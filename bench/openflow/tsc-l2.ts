/**
 * The benchmark's TSC contender: the TSC with the minimal L2-learning app (test support, not the
 * NVI data plane), standalone. node --import tsx bench/openflow/tsc-l2.ts (env TSC_OPENFLOW_PORT,
 * TSC_BIND_ADDRESS; mutual TLS with TSC_TLS_KEY_FILE, TSC_TLS_CERT_FILE and TSC_TLS_CA_FILE,
 * else plain TCP with TSC_INSECURE_TCP=1).
 */
import { readFileSync } from "node:fs";
import type { OpenFlowLogger } from "../../packages/openflow/src/index.ts";
import { readTscEnv, startTsc } from "../../packages/controller/src/index.ts";
import { l2LearningApp } from "../../packages/controller/src/test-support/l2-learning-app.ts";

const line = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
const logger: OpenFlowLogger = { info: line("info"), warn: line("warn") };

const env = readTscEnv();
const tls =
  env.TSC_TLS_KEY_FILE && env.TSC_TLS_CERT_FILE && env.TSC_TLS_CA_FILE
    ? {
        key: readFileSync(env.TSC_TLS_KEY_FILE),
        cert: readFileSync(env.TSC_TLS_CERT_FILE),
        ca: readFileSync(env.TSC_TLS_CA_FILE),
      }
    : undefined;
const tsc = await startTsc({
  port: env.TSC_OPENFLOW_PORT,
  host: env.TSC_BIND_ADDRESS,
  logger,
  app: l2LearningApp(),
  syncOnConnect: false,
  tls,
  insecureTcp: !tls && env.TSC_INSECURE_TCP === "1",
});
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
