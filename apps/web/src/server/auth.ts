import { hash, verify } from "@node-rs/argon2";
import type { IdKind } from "@nvi/contracts";
import { DomainError, checkPasswordStrength, ensurePersonalOrganization, recordAudit } from "@nvi/core";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { APIError, createAuthMiddleware } from "better-auth/api";
import { webEnv } from "../env.ts";
import { coreDeps, loginLimiter, sourceIpOf } from "./deps.ts";

/** argon2id with OWASP's recommended parameters (19 MiB, 2 passes). Algorithm 2 = Argon2id. */
const ARGON2 = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

const ID_KIND_OF_MODEL: Record<string, IdKind> = {
  user: "user",
  session: "session",
  account: "account",
  verification: "verification",
};

type AuthCtx = {
  path: string;
  body?: unknown;
  headers?: Headers;
  request?: Request;
  context: { newSession?: { user: { id: string; email: string } } | null; returned?: unknown };
};

function ipOf(ctx: AuthCtx): string | null {
  const headers = ctx.headers ?? ctx.request?.headers;
  return headers ? sourceIpOf(headers) : null;
}

function emailOf(ctx: AuthCtx): string {
  const email = (ctx.body as { email?: unknown } | undefined)?.email;
  return typeof email === "string" ? email.trim().toLowerCase() : "";
}

/**
 * Audit work that only an existing account causes runs after the answer has gone: a failed
 * sign-in for an existing email must not take longer than one for an unknown email.
 */
function afterAnswering(work: () => Promise<void>): void {
  setImmediate(() => {
    work().catch((error: unknown) =>
      console.error(
        JSON.stringify({
          level: "error",
          msg: "sign-in audit failed",
          error: error instanceof Error ? error.message : String(error),
        }),
      ),
    );
  });
}

/** Sign-in facts go to every organization the person belongs to. */
async function auditForUser(email: string, userId: string | null, action: string, ip: string | null, after?: unknown) {
  const deps = coreDeps();
  const user = userId ? { id: userId } : await deps.db.user.findUnique({ where: { email }, select: { id: true } });
  if (!user) return;
  const memberships = await deps.db.membership.findMany({ where: { userId: user.id }, select: { orgId: true } });
  await deps.db.$transaction(async (tx) => {
    for (const m of memberships) {
      await recordAudit(
        tx,
        deps,
        { orgId: m.orgId, actorType: "user", actorId: user.id, actorLabel: email, sourceIp: ip },
        {
          action,
          targetType: "user",
          targetId: user.id,
          after,
        },
      );
    }
  });
}

function makeAuth() {
  const env = webEnv();
  const deps = coreDeps();
  return betterAuth({
    secret: env.AUTH_SECRET,
    baseURL: env.PUBLIC_URL,
    telemetry: { enabled: false },
    database: prismaAdapter(deps.db, { provider: "postgresql" }),
    emailAndPassword: {
      enabled: true,
      autoSignIn: true,
      minPasswordLength: 10,
      maxPasswordLength: 128,
      password: {
        hash: (password) => hash(password, ARGON2),
        verify: ({ hash: digest, password }) => verify(digest, password),
      },
    },
    session: { expiresIn: 60 * 60 * 24 * 7, updateAge: 60 * 60 * 24 },
    // Sign-in is guarded by our own limiter (Redis, per account and per IP; hooks below).
    // better-auth's per-IP limits cover the rest, sign-up (argon2 + a new organization) most of all.
    rateLimit: {
      enabled: true,
      window: 60,
      max: 120,
      customRules: { "/sign-in/email": false, "/sign-up/email": { window: 60, max: env.NVI_SIGNUPS_PER_MINUTE } },
    },
    advanced: {
      cookiePrefix: "nvi",
      useSecureCookies: env.PUBLIC_URL.startsWith("https://"),
      defaultCookieAttributes: { httpOnly: true, sameSite: "lax" },
      database: { generateId: ({ model }) => deps.newId(ID_KIND_OF_MODEL[model] ?? "verification") },
    },
    databaseHooks: {
      user: {
        create: {
          after: async (user) => {
            await ensurePersonalOrganization(deps, { id: user.id, email: user.email, name: user.name }, null);
            await auditForUser(user.email, user.id, "user.signed_up", null, { email: user.email, name: user.name });
          },
        },
      },
    },
    hooks: {
      before: createAuthMiddleware(async (raw) => {
        const ctx = raw as unknown as AuthCtx;
        if (ctx.path === "/sign-up/email") {
          const body = ctx.body as { password?: unknown; name?: unknown } | undefined;
          const text = (v: unknown) => (typeof v === "string" ? v : "");
          const problem = checkPasswordStrength(text(body?.password), { email: emailOf(ctx), name: text(body?.name) });
          if (problem)
            throw new APIError("BAD_REQUEST", { message: `Weak password: ${problem}.`, code: "WEAK_PASSWORD" });
          // An address that already has an account gets the answer a new one gets, minus the session,
          // after the same argon2 work (better-auth would say "User already exists").
          const email = emailOf(ctx);
          if (email && (await deps.db.user.findUnique({ where: { email }, select: { id: true } }))) {
            await hash(text(body?.password), ARGON2);
            const now = new Date();
            return raw.json({
              token: null,
              user: {
                name: text(body?.name),
                email,
                emailVerified: false,
                image: null,
                createdAt: now,
                updatedAt: now,
                id: deps.newId("user"),
              },
            });
          }
        }
        if (ctx.path === "/sign-in/email") {
          try {
            await loginLimiter().attempt(emailOf(ctx), ipOf(ctx));
          } catch (error) {
            if (error instanceof DomainError && error.code === "RATE_LIMITED") {
              if (await loginLimiter().firstBlockInWindow(emailOf(ctx)))
                afterAnswering(() => auditForUser(emailOf(ctx), null, "user.sign_in_blocked", ipOf(ctx)));
              throw new APIError("TOO_MANY_REQUESTS", {
                message: `Too many sign-in attempts. Try again in ${error.details.retryAfterSeconds ?? 60} s.`,
                code: "RATE_LIMITED",
              });
            }
            throw error;
          }
        }
      }),
      after: createAuthMiddleware(async (raw) => {
        const ctx = raw as unknown as AuthCtx;
        if (ctx.path !== "/sign-in/email") return;
        const session = ctx.context.newSession;
        if (session) {
          await loginLimiter().succeeded(session.user.email, ipOf(ctx));
          await auditForUser(session.user.email, session.user.id, "user.signed_in", ipOf(ctx));
        } else {
          const email = emailOf(ctx);
          const ip = ipOf(ctx);
          afterAnswering(() => auditForUser(email, null, "user.sign_in_failed", ip));
        }
      }),
    },
  });
}

type Auth = ReturnType<typeof makeAuth>;
const g = globalThis as unknown as { nviAuth?: Auth };

/** The better-auth instance, made on first use. */
export function auth(): Auth {
  return (g.nviAuth ??= makeAuth());
}

export async function sessionUserOf(headers: Headers): Promise<{ userId: string; email: string; name: string } | null> {
  const session = await auth().api.getSession({ headers });
  return session ? { userId: session.user.id, email: session.user.email, name: session.user.name } : null;
}
