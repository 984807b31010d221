/**
 * Errors that mean "the database is away right now" (a refused, reset, closed or
 * timed-out connection, or a server shutting down or starting up), as opposed to
 * errors of the statement itself. Callers wait and retry these, or answer 503.
 */

const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECT_TIMEOUT",
  "CONNECTION_DESTROYED",
  // admin_shutdown, crash_shutdown, cannot_connect_now (PostgreSQL's SQLSTATEs)
  "57P01",
  "57P02",
  "57P03",
]);

/** True for a lost or refused database connection, also when wrapped (drizzle's DrizzleQueryError keeps it as `cause`). */
export function isConnectionError(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_ERROR_CODES.has(code)) return true;
  }
  return false;
}

/**
 * A database error's own message, without the statement text drizzle wraps around
 * it ("Failed query: …"): what a log line should say.
 */
export function databaseErrorMessage(err: unknown): string {
  let e = err;
  for (let depth = 0; depth < 5 && e instanceof Error && e.message.startsWith("Failed query:") && e.cause; depth++) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
