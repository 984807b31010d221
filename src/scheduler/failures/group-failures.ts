/** Groups failed tasks by name and failure reason (core/failure-reason.ts), most failures first. */
import { failureReason } from "../../core/failure-reason.ts";
import type { FailedTaskFacts } from "../../db/queries/list-failures.ts";
import { FAILURE_SAMPLES, type FailureGroupJson } from "./model.ts";

/** `failed` newest first, as listFailures reads them: each group's first task is its newest. */
export function groupFailures(failed: readonly FailedTaskFacts[]): FailureGroupJson[] {
  const groups = new Map<string, FailureGroupJson>();
  for (const f of failed) {
    const reason = failureReason(f.error, f.stderrLastLine);
    const key = JSON.stringify([f.name, reason]);
    const g = groups.get(key);
    if (!g) groups.set(key, { name: f.name, failure_reason: reason, count: 1, last_failed_at: f.finishedAt.toISOString(), sample_ids: [f.id] });
    else {
      g.count++;
      if (g.sample_ids.length < FAILURE_SAMPLES) g.sample_ids.push(f.id);
    }
  }
  // Stable: among equal counts, the group that failed last (met first) comes first.
  return [...groups.values()].sort((a, b) => b.count - a.count);
}
