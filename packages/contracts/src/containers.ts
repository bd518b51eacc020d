import { z } from "zod";
import { idRef } from "./ids.ts";

/**
 * What a container is launched with besides its image (issue 17, item 6): environment variables,
 * a command as argv, the registry it may be pulled from, and its logs as the console shows them.
 *
 * The command is an argv array handed to `docker run` after the image, never a shell string: no
 * shell sees it, on the host or in the container (an image that wants one says `["sh", "-c", …]`
 * itself). Environment values reach Docker through a 0600 env-file that the agent removes at once,
 * never through argv (where `ps` would show them), so a value cannot hold a line break.
 */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const CONTAINER_LIMITS = {
  envVars: 64,
  envNameChars: 128,
  envValueChars: 4096,
  /** all names and values together */
  envTotalChars: 32_768,
  args: 64,
  argChars: 4096,
  argsTotalChars: 16_384,
} as const;

export const EnvName = z
  .string()
  .max(CONTAINER_LIMITS.envNameChars, `at most ${CONTAINER_LIMITS.envNameChars} characters`)
  .regex(ENV_NAME, "must be letters, digits and _ (not starting with a digit)");

/** One value: any text but NUL, carriage return or line feed (an env-file line holds one variable). */
export const EnvValue = z
  .string()
  .max(CONTAINER_LIMITS.envValueChars, `at most ${CONTAINER_LIMITS.envValueChars} characters`)
  .regex(/^[^\0\r\n]*$/, "must not contain NUL or line breaks");

export const ContainerEnv = z.record(EnvName, EnvValue).superRefine((env, c) => {
  const entries = Object.entries(env);
  if (entries.length > CONTAINER_LIMITS.envVars)
    c.addIssue({ code: "custom", message: `at most ${CONTAINER_LIMITS.envVars} variables` });
  const total = entries.reduce((n, [k, v]) => n + k.length + v.length, 0);
  if (total > CONTAINER_LIMITS.envTotalChars)
    c.addIssue({
      code: "custom",
      message: `names and values together at most ${CONTAINER_LIMITS.envTotalChars} characters`,
    });
});
export type ContainerEnv = z.infer<typeof ContainerEnv>;

export const CommandArg = z
  .string()
  .max(CONTAINER_LIMITS.argChars, `at most ${CONTAINER_LIMITS.argChars} characters`)
  .regex(/^[^\0]*$/, "must not contain NUL");

/** argv for the container's entrypoint; the first word must say something (an empty command is "the image's own": omit it). */
export const CommandArgs = z
  .array(CommandArg)
  .min(1, "give at least the program, or leave the command out")
  .max(CONTAINER_LIMITS.args, `at most ${CONTAINER_LIMITS.args} arguments`)
  .refine((a) => (a[0] ?? "").trim() !== "", "the first word (the program) must not be empty")
  .refine(
    (a) => a.reduce((n, s) => n + s.length, 0) <= CONTAINER_LIMITS.argsTotalChars,
    `at most ${CONTAINER_LIMITS.argsTotalChars} characters in all`,
  );

/**
 * A registry as Docker names it in an image reference: `host[:port]` (what precedes the first `/`
 * of `registry.example.com:5000/team/app:1`). A URL is accepted and reduced to that; whether Docker
 * speaks TLS to it is the daemon's choice (loopback and its `insecure-registries` are plain HTTP).
 */
export const REGISTRY_SERVER =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]{1,5})?$/;

export function registryServerOf(text: string): string | null {
  const bare = text
    .trim()
    .replace(/^https?:\/\//i, "")
    .replace(/\/+$/, "");
  if (bare.length === 0 || bare.length > 253 || !REGISTRY_SERVER.test(bare)) return null;
  const port = /:(\d+)$/.exec(bare)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return null;
  return bare.toLowerCase();
}

/** The registry an image reference names (`host[:port]` before its first `/`), or null for Docker Hub's short names. */
export function imageRegistryOf(image: string): string | null {
  const slash = image.indexOf("/");
  if (slash < 0) return null;
  const first = image.slice(0, slash);
  // Docker's rule: the first component is a registry if it has a `.` or a `:`, or is `localhost`
  if (!first.includes(".") && !first.includes(":") && first !== "localhost") return null;
  return first.toLowerCase();
}

/** A registry account's name: what `docker login` takes, on one line. */
export const RegistryUsername = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\0-\u001f\u007f:]*$/, "must not contain control characters or ':'");
export const RegistryPassword = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^[^\0\r\n]*$/, "must not contain NUL or line breaks");

/**
 * What a cloud's hosts may pull from, as the console shows it: the password (or token) is never
 * returned once it is set, only whether it is.
 */
export const CloudRegistryDto = z.object({
  cloudId: z.string(),
  /** `host[:port]`; null: no registry, images must already be on the hosts */
  server: z.string().nullable(),
  username: z.string().nullable(),
  password: z.enum(["set", "not set"]),
  updatedAt: z.iso.datetime().nullable(),
});
export type CloudRegistryDto = z.infer<typeof CloudRegistryDto>;

/**
 * Sent to the agent inside the start command only (never kept on the container's labels, scrubbed
 * from the stored command once it is answered): the registry the image names and, when the cloud
 * has one, the account to pull with.
 */
export const RegistryPull = z.object({
  server: z.string().max(253).regex(REGISTRY_SERVER),
  username: RegistryUsername.optional(),
  password: RegistryPassword.optional(),
});
export type RegistryPull = z.infer<typeof RegistryPull>;

/**
 * How many log lines may be asked for, and how much text comes back at most: the agent's answer
 * must fit the API's 64 KiB request body even when JSON doubles every character (`\n`, `"`).
 */
export const LOG_LIMITS = { maxLines: 1000, defaultLines: 200, maxBytes: 24_576 } as const;

export const InstanceLogsInput = z.object({
  instanceId: idRef("instance"),
  lines: z.number().int().min(1).max(LOG_LIMITS.maxLines).default(LOG_LIMITS.defaultLines),
});

/** What the agent answers to `instance.logs`: the last lines (stdout and stderr by time), at most LOG_LIMITS.maxBytes. */
export const LogsOutcome = z.object({
  text: z.string().max(LOG_LIMITS.maxBytes),
  /** older output was left out (more lines than asked for fit, or the bytes ran out) */
  truncated: z.boolean(),
});
export type LogsOutcome = z.infer<typeof LogsOutcome>;

export const InstanceLogsDto = z.object({
  instanceId: z.string(),
  name: z.string(),
  lines: z.number().int(),
  /** control sequences (colours, cursor moves, OSC titles) removed: plain text to show */
  text: z.string(),
  truncated: z.boolean(),
  fetchedAt: z.iso.datetime(),
});
export type InstanceLogsDto = z.infer<typeof InstanceLogsDto>;

// CSI (ESC [ … final), OSC (ESC ] … BEL or ST), other two-byte escapes, and C0/C1 controls but tab and line feed
const CSI = /\u001b\[[0-?]*[ -/]*[@-~]/g;
const OSC = /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g;
const ESC_OTHER = /\u001b[@-Z\\-_]?/g;
const C1_CSI = /\u009b[0-?]*[ -/]*[@-~]/g;
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Text safe to show as it is: terminal control sequences and control characters removed (`\r\n` kept as `\n`). */
export function stripControlSequences(text: string): string {
  return text
    .replace(/\r\n/g, "\n")
    .replace(OSC, "")
    .replace(CSI, "")
    .replace(C1_CSI, "")
    .replace(ESC_OTHER, "")
    .replace(CONTROLS, "");
}
