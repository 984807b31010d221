/** The `retention` part of GET /api/metrics: policies, rows pruned, oldest kept task, database size. */
import { t, type Static } from "elysia";
import { formatRetention } from "../../core/duration.ts";
import { PRUNED_TABLES } from "../../db/queries/prune-totals.ts";
import type { RetentionFacts } from "./retention-reader.ts";

const Policy = t.Object({
  keep: t.String({ description: 'how long rows are kept, e.g. "7d"; "forever" when the policy is off' }),
  seconds: t.Union([t.Number(), t.Null()], { description: "the same in seconds; null when kept forever" }),
});
const age = t.Union([t.Number(), t.Null()]);

export const RetentionJsonSchema = t.Object({
  policies: t.Object(
    { completed: Policy, failed: Policy, cancelled: Policy, workers: Policy },
    { description: "this process's --retain-* flags (finished tasks by status, dead worker sessions)" },
  ),
  pruned_total: t.Object(Object.fromEntries(PRUNED_TABLES.map((k) => [k, t.Number({ minimum: 0 })])), {
    description: "rows removed by pruning since the database was made, per table",
  }),
  oldest_finished_age_seconds: t.Object({ completed: age, failed: age, cancelled: age }, {
    description: "age of the oldest finished task still kept, per status; null when there is none",
  }),
  database_size_bytes: t.Union([t.Number(), t.Null()], { description: "pg_database_size; null when the database could not be read" }),
  refreshed_every_seconds: t.Number(),
});
export type RetentionJson = Static<typeof RetentionJsonSchema>;

export function retentionJson(f: RetentionFacts, ttlMs: number): RetentionJson {
  const policy = (ms: number | null) => ({ keep: formatRetention(ms), seconds: ms === null ? null : ms / 1000 });
  const s = f.stats;
  return {
    policies: { completed: policy(f.policy.completed), failed: policy(f.policy.failed), cancelled: policy(f.policy.cancelled), workers: policy(f.policy.workers) },
    pruned_total: Object.fromEntries(PRUNED_TABLES.map((k) => [k, s?.prunedTotal[k] ?? 0])) as RetentionJson["pruned_total"],
    oldest_finished_age_seconds: s?.oldestFinishedAgeSeconds ?? { completed: null, failed: null, cancelled: null },
    database_size_bytes: s?.databaseSizeBytes ?? null,
    refreshed_every_seconds: ttlMs / 1000,
  };
}
