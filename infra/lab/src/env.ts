/** The only place the lab reads the process environment. */

/** The environment a child process gets: ours, plus the extras given. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

/**
 * What a host's process (an agent) inherits from whoever started the lab or the demo: what a shell
 * and Node need, and the agent's own settings; never the console's (DATABASE_URL, REDIS_URL,
 * AUTH_SECRET, FABRIC_CA_SECRET…): a host must not hold the keys to the console.
 */
const HOST_INHERITS = new Set(["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TERM", "USER", "LOGNAME", "TMPDIR"]);
const AGENT_SETTING =
  /^(NVI_(JOIN|CONTROL_URL|STATE_DIR|HOSTNAME|BRIDGE|DATACENTER|FABRIC_ADDRESS|INSTANCE_BLOCK|CONTROLLER|NETNS_PREFIX|IMAGE_DIR|QEMU_ACCEL|OVS_UNIXCTL|RESERVED_PORTS)|DOCKER_HOST|NODE_EXTRA_CA_CERTS)$/;

export function hostEnv(
  extra: Record<string, string> = {},
  from: Record<string, string | undefined> = process.env,
): Record<string, string> {
  const inherited = Object.entries(from).flatMap(([k, v]) =>
    v !== undefined && (HOST_INHERITS.has(k) || AGENT_SETTING.test(k)) ? [[k, v] as const] : [],
  );
  return { ...Object.fromEntries(inherited), ...extra };
}

/** Where labs keep their state and per-host OVS directories (absolute; default /run/nvi-lab). */
export function labRoot(): string {
  const root = process.env.NVI_LAB_ROOT ?? "/run/nvi-lab";
  if (!root.startsWith("/")) throw new Error(`NVI_LAB_ROOT must be absolute (OVS_RUNDIR must be), got "${root}"`);
  return root;
}
