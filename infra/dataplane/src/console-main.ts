import { createCoreDeps, jobQueue } from "@nvi/core";
import { JobProducer } from "@nvi/jobs";
import { serveConsole } from "./console-server.ts";
import { traceConsole } from "./console-trace.ts";
import { consoleEnv } from "./env.ts";

/**
 * The lab's console (the REST API on the real core) in a process of its own, so a fault test can
 * kill it with SIGKILL mid-operation and start it again on the same port (`Stack.killConsole`).
 */
const env = consoleEnv();
if (env.trace) traceConsole(env.trace.file, env.trace.slowMs);
const deps = createCoreDeps(env.databaseUrl, {
  fabricSecret: env.fabricSecret,
  secretsKey: env.secretsKey,
  ...(env.instancePool ? { instancePool: env.instancePool } : {}),
  cacheTokens: true,
});
const producer = new JobProducer(env.redisUrl, env.queuePrefix);
const { apiUrl } = await serveConsole({
  deps,
  operations: jobQueue(producer),
  bindIp: env.bindIp,
  port: env.port,
  packageDir: env.packageDir,
  redisUrl: env.redisUrl,
});
console.log(`console listening on ${apiUrl}`);
