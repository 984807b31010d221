/**
 * The retention flags (`--retain-*`) and the options of `taskflow prune`
 * (`--older-than`, `--status`, `--dry-run`), read the way config.ts reads every
 * other flag: a bad value is a ConfigError naming the flag and what it accepts.
 */
import { DurationError, parseDuration, parseRetention } from "../core/duration.ts";
import { FINISHED_STATUSES, isFinishedStatus, planFromPolicy, type FinishedStatus, type PrunePlan, type RetentionPolicy } from "../core/retention.ts";
import { ConfigError } from "./config.ts";
import { RETAIN_CANCELLED_DEFAULT, RETAIN_COMPLETED_DEFAULT, RETAIN_FAILED_DEFAULT, RETAIN_WORKERS_DEFAULT } from "./flags.ts";

/** Reads a flag's value (flag, else env) and the label to name it by in messages. */
export type FlagReader = (name: string) => { value: string | undefined; label: string };

export interface PruneRequest {
  plan: PrunePlan;
  dryRun: boolean;
}

/** The --retain-* policies. */
export function parseRetentionPolicy(read: FlagReader): RetentionPolicy {
  const one = (name: string, dflt: string) => {
    const { value, label } = read(name);
    const text = value === undefined || value.trim() === "" ? dflt : value;
    try {
      return parseRetention(text);
    } catch (err) {
      throw asConfigError(err, label, text);
    }
  };
  return {
    completed: one("retain-completed", RETAIN_COMPLETED_DEFAULT),
    failed: one("retain-failed", RETAIN_FAILED_DEFAULT),
    cancelled: one("retain-cancelled", RETAIN_CANCELLED_DEFAULT),
    workers: one("retain-workers", RETAIN_WORKERS_DEFAULT),
  };
}

/**
 * What `taskflow prune` removes: by default the policies; `--older-than` sets one
 * age for the chosen statuses (0: every finished one), `--status` narrows the
 * statuses and leaves worker sessions alone.
 */
export function parsePruneRequest(read: FlagReader, policy: RetentionPolicy, dryRun: boolean): PruneRequest {
  const statuses = parseStatuses(read("status"));
  const olderThan = read("older-than");
  let age: number | null = null;
  if (olderThan.value !== undefined) {
    try {
      age = parseDuration(olderThan.value, { requireUnit: true });
    } catch (err) {
      throw asConfigError(err, olderThan.label, olderThan.value);
    }
  }
  const byPolicy = planFromPolicy(policy);
  const tasks = age === null ? byPolicy.tasks.filter((t) => statuses === null || statuses.includes(t.status)) : (statuses ?? [...FINISHED_STATUSES]).map((status) => ({ status, olderThanMs: age }));
  return { plan: { tasks, workersOlderThanMs: statuses === null ? byPolicy.workersOlderThanMs : null }, dryRun };
}

function parseStatuses(flag: { value: string | undefined; label: string }): FinishedStatus[] | null {
  if (flag.value === undefined) return null;
  const list = [...new Set(flag.value.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean))];
  const bad = list.find((s) => !isFinishedStatus(s));
  if (list.length === 0 || bad !== undefined) {
    const what = bad === undefined ? "is empty" : `"${bad}" is not a finished status`;
    throw new ConfigError(`${flag.label} ${what}; accepts a comma list of completed, failed, cancelled`);
  }
  return list as FinishedStatus[];
}

function asConfigError(err: unknown, label: string, text: string): Error {
  if (err instanceof DurationError) return new ConfigError(`${label}=${JSON.stringify(text)} ${err.message.replace(/^"[^"]*" /, "")}`);
  return err as Error;
}
