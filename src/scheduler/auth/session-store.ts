/**
 * Dashboard sessions that can be revoked. A cookie is checked in two steps:
 * its HMAC and expiry (credentials.ts: forgeries never reach the database),
 * then its session row, which sign-out revokes on every scheduler at once. A
 * checked session is trusted for CHECK_CACHE_MS, so a page with many requests
 * costs one query; another scheduler's sign-out takes effect within that time,
 * this one's at once. Sessions slide: a cookie used in the second half of its
 * 12 hours is renewed for another 12.
 */
import type { Db } from "../../db/client.ts";
import { extendDashboardSession } from "../../db/queries/extend-dashboard-session.ts";
import { openDashboardSession } from "../../db/queries/open-dashboard-session.ts";
import { readDashboardSession } from "../../db/queries/read-dashboard-session.ts";
import { revokeDashboardSessions } from "../../db/queries/revoke-dashboard-sessions.ts";
import { parseSession, SESSION_TTL_SECONDS, sessionValue } from "./credentials.ts";

/** How long a checked session is trusted without asking the database again. */
export const CHECK_CACHE_MS = 5_000;
const CACHE_MAX = 10_000;

export type SessionCheck = { valid: false } | { valid: true; id: string; renewed: string | null };

export class SessionStore {
  readonly #checked = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly token: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Opens a session and returns its cookie value. */
  async open(): Promise<string> {
    const id = crypto.randomUUID();
    const expires = this.#expiry();
    await openDashboardSession(this.db, id, new Date(expires * 1000));
    return sessionValue(this.token, id, expires);
  }

  /** Whether a cookie value is a live session; `renewed` is a fresh cookie value when it was due for renewal. */
  async check(value: string | null): Promise<SessionCheck> {
    const nowMs = this.now();
    const parsed = parseSession(this.token, value, nowMs);
    if (!parsed) return { valid: false };
    const checkedAt = this.#checked.get(parsed.id);
    if (checkedAt === undefined || nowMs - checkedAt >= CHECK_CACHE_MS) {
      const row = await readDashboardSession(this.db, parsed.id);
      if (!row || row.revokedAt !== null || row.expiresAt.getTime() <= nowMs) {
        this.#checked.delete(parsed.id);
        return { valid: false };
      }
      if (this.#checked.size >= CACHE_MAX) this.#checked.clear();
      this.#checked.set(parsed.id, nowMs);
    }
    let renewed: string | null = null;
    if (parsed.expires - nowMs / 1000 < SESSION_TTL_SECONDS / 2) {
      const expires = this.#expiry();
      if (await extendDashboardSession(this.db, parsed.id, new Date(expires * 1000))) renewed = sessionValue(this.token, parsed.id, expires);
    }
    return { valid: true, id: parsed.id, renewed };
  }

  /** Signs out one session by id, or every session with null ("sign out everywhere"). */
  async revoke(id: string | null): Promise<void> {
    await revokeDashboardSessions(this.db, id);
    if (id === null) this.#checked.clear();
    else this.#checked.delete(id);
  }

  #expiry(): number {
    return Math.floor(this.now() / 1000) + SESSION_TTL_SECONDS;
  }
}
