/**
 * How big the battery runs: `full` (the sizes of issue 9, `npm run chaos`) or `ci`
 * (about a tenth, the default, run by .ci/run). Also the timing every process of the
 * battery uses, and the database the battery needs (real PostgreSQL, never PGlite).
 */

export type ChaosSize = "full" | "ci";

export const SIZE: ChaosSize = process.env.TASKFLOW_CHAOS_SIZE === "full" ? "full" : "ci";

/** The value for this run's size. */
export function bySize<T>(full: T, ci: T): T {
  return SIZE === "full" ? full : ci;
}

/** Heartbeat and worker timeout of every process in the battery: short, so faults resolve in seconds. */
export const HEARTBEAT_MS = 200;
export const WORKER_TIMEOUT_MS = 1500;
/** The worker's TERM-to-KILL grace for a stopped task (process-runner's KILL_GRACE_MS_DEFAULT). */
export const KILL_GRACE_MS = 5000;
/** Two runs of one task may overlap at most this long (issue 9: worker timeout + kill grace). */
export const OVERLAP_LIMIT_MS = WORKER_TIMEOUT_MS + KILL_GRACE_MS;

/**
 * The PostgreSQL server the battery runs on. The battery never runs on PGlite: it
 * kills and restarts processes that share one database, and restarts the server.
 */
export function chaosDatabaseUrl(): string {
  const url = process.env.TASKFLOW_TEST_DATABASE_URL;
  if (!url) {
    throw new Error(
      "the chaos battery needs real PostgreSQL: set TASKFLOW_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres); `npm run chaos` sets it for the local server",
    );
  }
  return url;
}
