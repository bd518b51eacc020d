/** Run the TSC standalone: pnpm --filter @nvi/controller tsc:start (env TSC_OPENFLOW_PORT, TSC_BIND_ADDRESS). */
import type { OpenFlowLogger } from "@nvi/openflow";
import { l2LearningApp } from "./l2-learning-app.ts";
import { readTscEnv } from "./env.ts";
import { startTsc } from "./tsc.ts";

const line = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
const logger: OpenFlowLogger = { info: line("info"), warn: line("warn") };

const env = readTscEnv();
const app = process.argv.includes("--l2-learning") ? l2LearningApp() : undefined;
const tsc = await startTsc({ port: env.TSC_OPENFLOW_PORT, host: env.TSC_BIND_ADDRESS, logger, app, syncOnConnect: app === undefined });
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
