export { appRouter, createCaller, type AppRouter } from "./root.ts";
export { createApiContext, isCrossSiteWrite, ORG_COOKIE, type ApiContext, type SessionUser } from "./context.ts";
export {
  checkBody,
  handleRest,
  handleTrpc,
  openApiDocument,
  MAX_BATCH_SIZE,
  MAX_BODY_BYTES,
  REST_PREFIX,
  TRPC_PREFIX,
} from "./http.ts";
export { cachedProbe, dependencyHealth, type DependencyState, type ProbeResult, type Probes } from "./health.ts";
export { handleAgentDownload, installScriptResponse, packageResponse, type AgentDownloads } from "./agent-downloads.ts";
export { SerialGate } from "./serial/sessions.ts";
export { readGate } from "./read-gate.ts";
