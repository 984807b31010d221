/**
 * Figures of a chaos run: printed as one `chaos-result` JSON line per test (and
 * appended to $TASKFLOW_CHAOS_RESULTS when set), so docs/reliability.md can quote them.
 */
import { appendFileSync } from "node:fs";
import type { DbTask, Fault } from "./ledger-check.ts";
import { percentile } from "./chaos-cluster.ts";
import { SIZE } from "./sizes.ts";

export function recordResult(test: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ test, size: SIZE, at: new Date().toISOString(), ...figures });
  console.log(`chaos-result ${line}`);
  const file = process.env.TASKFLOW_CHAOS_RESULTS;
  if (file) appendFileSync(file, `${line}\n`);
}

/** Percentiles of a list of ms values, rounded. */
export function summary(values: number[]): { n: number; p50: number; p99: number; max: number } {
  return { n: values.length, p50: Math.round(percentile(values, 50)), p99: Math.round(percentile(values, 99)), max: values.length ? Math.round(Math.max(...values)) : Number.NaN };
}

export interface Reassignment {
  /** Kill → the attempt failed as lost (the task is free to run again). */
  detectMs: number;
  /** Kill → the next attempt was picked by a worker. */
  repickMs: number | null;
}

/**
 * For every attempt lost to a fault of `kind`: how long after the fault it was
 * declared lost, and how long until the next attempt was picked. The fault that hit
 * an attempt is the latest one on its worker at or before the attempt ended.
 */
export function reassignments(tasks: Map<string, DbTask>, faults: Fault[], kind: string): Reassignment[] {
  const out: Reassignment[] = [];
  for (const t of tasks.values()) {
    const attempts = [...t.attempts].sort((a, b) => a.attempt - b.attempt);
    attempts.forEach((a, i) => {
      if (a.status !== "lost" || a.finishedAt === null) return;
      const hit = faults
        .filter((f) => f.kind === kind && f.target === a.worker && f.from <= a.finishedAt!)
        .reduce<Fault | null>((best, f) => (!best || f.from > best.from ? f : best), null);
      if (!hit) return;
      const next = attempts[i + 1];
      out.push({ detectMs: a.finishedAt - hit.from, repickMs: next ? next.pickedAt - hit.from : null });
    });
  }
  return out;
}
