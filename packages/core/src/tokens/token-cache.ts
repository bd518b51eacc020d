import { listenChannel } from "@nvi/db";

/** Where Postgres says that something an API token's lookup reads has changed (triggers, migration `auth_changed`). */
export const AUTH_CHANGED_CHANNEL = "nvi_auth_changed";

/** What a token's lookup read: the token, its creator's role in its organization and their name. */
export interface TokenLookup {
  id: string;
  orgId: string;
  name: string;
  scopes: string[];
  createdBy: string;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  role: string | null;
  email: string | null;
  userName: string | null;
}

/**
 * A console process's memory of API tokens it has looked up, so a script polling with one token
 * costs no Postgres round trip per request to say who it is. Only tokens that were valid are kept
 * (an unknown, revoked or expired secret is looked up every time: guessing cannot fill the cache),
 * by the SHA-256 of the secret, for at most `ttlMs`.
 *
 * A revocation reaches it at once: Postgres triggers on the tables the lookup reads (api tokens and
 * their secrets, memberships, users) notify `nvi_auth_changed` as the change commits, and every
 * process's cache drops everything it holds when told; the process that made the change drops it
 * before it answers (`invalidate`). The cache serves nothing unless its LISTEN is in place: before
 * the first connection, while it reconnects, and after `close`, every request reads Postgres (a
 * notice missed while disconnected cannot leave a revoked token usable). A lookup that began before
 * an invalidation is not kept when it ends (`generation`): it may have read the row before the
 * change committed.
 */
export class TokenCache {
  private readonly entries = new Map<string, { row: TokenLookup; until: number }>();
  private generation = 0;
  private listening = false;
  private listener: { close(): Promise<void> } | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 10_000,
  ) {}

  /** Starts listening (at the first `get`: a process that never authenticates a token opens no connection; a test calls it first). */
  listen(): void {
    if (this.listener) return;
    this.listener = listenChannel(
      this.databaseUrl,
      AUTH_CHANGED_CHANNEL,
      () => this.invalidate(),
      () => {
        this.listening = false;
        this.invalidate();
      },
      () => {
        // notices sent while the LISTEN was not in place are lost: start from nothing
        this.invalidate();
        this.listening = true;
      },
    );
  }

  /** The lookup kept for this secret's hash, if the cache may serve it now. */
  get(hash: string, now: number): TokenLookup | undefined {
    this.listen();
    if (!this.listening) return undefined;
    const hit = this.entries.get(hash);
    if (!hit) return undefined;
    if (hit.until > now) return hit.row;
    this.entries.delete(hash);
    return undefined;
  }

  /** Taken before a lookup reads Postgres, handed back to `put`. */
  begin(): number {
    return this.generation;
  }

  /** Keeps a valid token's lookup, unless something changed since `begin` or the cache cannot hear changes. */
  put(hash: string, row: TokenLookup, begun: number, now: number): void {
    if (!this.listening || begun !== this.generation) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(hash)) {
      // the oldest entry leaves (a Map keeps insertion order)
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(hash, { row, until: now + this.ttlMs });
  }

  /** Forgets everything (a change to tokens, memberships or users committed). */
  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  /** Whether the LISTEN is in place (what a test waits for). */
  get ready(): boolean {
    return this.listening;
  }

  async close(): Promise<void> {
    this.listening = false;
    this.invalidate();
    await this.listener?.close();
  }
}
