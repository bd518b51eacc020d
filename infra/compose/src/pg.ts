import { execFile } from "node:child_process";
import { promisify } from "node:util";

export const exec = promisify(execFile);

/** `psql` one statement against `url`, tuples only. */
export const sql = async (url: string, statement: string) =>
  (await exec("psql", ["-qtAX", "-v", "ON_ERROR_STOP=1", url, "-c", statement])).stdout.trim();

/** The same server and role, another database. */
export const withDb = (url: string, db: string) => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
};
