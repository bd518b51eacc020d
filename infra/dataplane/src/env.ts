/** The only place the data-path harness reads the environment: the machine's Postgres and Redis (scripts/test.sh sets them). */
export function stackEnv(): { databaseUrl: string | undefined; redisUrl: string; inherited: NodeJS.ProcessEnv } {
  return {
    databaseUrl: process.env.DATABASE_URL,
    redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    inherited: process.env,
  };
}
