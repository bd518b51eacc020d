/** The only place the data-path harness reads the environment: the machine's Postgres and Redis (scripts/test.sh sets them). */
export function stackEnv(): { databaseUrl: string | undefined; redisUrl: string; inherited: NodeJS.ProcessEnv } {
  return {
    databaseUrl: process.env.DATABASE_URL,
    redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    inherited: process.env,
  };
}

/** What `console-main.ts` (the lab's console in a process of its own) is started with; the only place it reads the environment. */
export function consoleEnv(): {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  fabricSecret: string;
  secretsKey: string;
  bindIp: string;
  port: number;
  packageDir: string | undefined;
  instancePool: string | undefined;
  /** the slow-request trace (console-trace.ts): where to write it, and from how many ms */
  trace: { file: string; slowMs: number } | undefined;
} {
  const e = process.env;
  const need = (k: string): string => {
    const v = e[k];
    if (!v) throw new Error(`console-main: ${k} is not set`);
    return v;
  };
  return {
    databaseUrl: need("DATABASE_URL"),
    redisUrl: need("REDIS_URL"),
    queuePrefix: need("QUEUE_PREFIX"),
    fabricSecret: need("FABRIC_CA_SECRET"),
    secretsKey: need("NVI_SECRETS_KEY"),
    bindIp: need("CONSOLE_BIND"),
    port: Number(need("CONSOLE_PORT")),
    packageDir: e.NVI_PACKAGE_DIR || undefined,
    instancePool: e.NVI_INSTANCE_POOL || undefined,
    trace: e.NVI_TRACE_FILE ? { file: e.NVI_TRACE_FILE, slowMs: Number(e.NVI_TRACE_SLOW_MS || 100) } : undefined,
  };
}

/** Where the VM tests' cloud images live (`infra/images`' default unless NVI_IMAGE_DIR says otherwise). */
export function imageDirEnv(): { imageDir: string; inherited: NodeJS.ProcessEnv } {
  return { imageDir: process.env.NVI_IMAGE_DIR ?? "/var/lib/nvi/images", inherited: process.env };
}
