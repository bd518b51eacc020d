/**
 * The benchmark's TSC contender: the TSC with the minimal L2-learning app (test support, not the
 * NVI data plane), standalone. node --import tsx bench/openflow/tsc-l2.ts (env TSC_OPENFLOW_PORT,
 * TSC_BIND_ADDRESS).
 */
import type { OpenFlowLogger } from "../../packages/openflow/src/index.ts";
import { readTscEnv, startTsc } from "../../packages/controller/src/index.ts";
import { l2LearningApp } from "../../packages/controller/src/test-support/l2-learning-app.ts";

const line = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
const logger: OpenFlowLogger = { info: line("info"), warn: line("warn") };

const env = readTscEnv();
const tsc = await startTsc({ port: env.TSC_OPENFLOW_PORT, host: env.TSC_BIND_ADDRESS, logger, app: l2LearningApp(), syncOnConnect: false });
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
