/** The only place the lab reads the process environment. */

/** The environment a child process gets: ours, plus the extras given. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

/** Where labs keep their state and per-host OVS directories (absolute; default /run/nvi-lab). */
export function labRoot(): string {
  const root = process.env.NVI_LAB_ROOT ?? "/run/nvi-lab";
  if (!root.startsWith("/")) throw new Error(`NVI_LAB_ROOT must be absolute (OVS_RUNDIR must be), got "${root}"`);
  return root;
}
