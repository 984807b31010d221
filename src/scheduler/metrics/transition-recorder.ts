/**
 * Turns the change feed's task transitions into counters and histograms. The
 * feed already hears every transition in the cluster (NOTIFY from a trigger on
 * task_events) and loads each changed row once per burst for the dashboards, so
 * counting costs no query at all, whatever the scrape rate or table size.
 *
 * Counters therefore count cluster-wide transitions seen since this scheduler
 * started: Prometheus' rate()/increase() handle the reset at a restart, and
 * several schedulers each count every transition (aggregate with max, not sum).
 * A notification lost while the database connection is down is not counted;
 * the gauges, read from the database on scrape, stay exact.
 *
 * Durations come from the task row the feed loaded: when the row has already
 * moved on to a later attempt within the same burst, that observation is skipped
 * rather than measured against the wrong attempt.
 */
import type { TaskRow } from "../../db/schema/index.ts";
import type { FeedBatch } from "../change-feed.ts";
import type { Instruments } from "./instruments.ts";
import type { Throughput } from "./throughput.ts";

const seconds = (from: Date, to: Date) => Math.max(0, (to.getTime() - from.getTime()) / 1000);

export function recordBatch(m: Instruments, throughput: Throughput, batch: FeedBatch): void {
  for (const change of batch.taskChanges) {
    const row = batch.tasks.get(change.id);
    const queue = row?.queue ?? "unknown";
    const current = row !== undefined && row.attempt === change.attempt;
    switch (change.status) {
      case "created":
        m.submitted.inc({ queue });
        throughput.add("submitted");
        break;
      case "completed":
      case "failed":
        (change.status === "completed" ? m.completed : m.failed).inc({ queue });
        throughput.add(change.status);
        if (current && row.status === change.status && row.startedAt && row.finishedAt) {
          m.attemptDuration.observe({ queue, outcome: change.status }, seconds(row.startedAt, row.finishedAt));
        }
        break;
      case "cancelled":
        m.cancelled.inc({ queue });
        break;
      case "scheduled":
        // attempt 0 is the first scheduling at submission; later ones are retries.
        if (change.attempt > 0) {
          m.retried.inc({ queue });
          observeRetriedAttempt(m, queue, current ? row : undefined);
        }
        break;
      case "running":
        if (current && row.startedAt && !["picked", "scheduled"].includes(row.status)) {
          m.dispatchLag.observe({ queue }, seconds(row.runAt, row.startedAt));
        }
        break;
    }
  }
}

/**
 * A failed attempt sent back for a retry keeps its started_at, and its task's
 * updated_at is when the result was written. A user's retry clears started_at,
 * so it is not measured again.
 */
function observeRetriedAttempt(m: Instruments, queue: string, row: TaskRow | undefined): void {
  if (!row || row.status !== "scheduled" || !row.startedAt || row.finishedAt) return;
  m.attemptDuration.observe({ queue, outcome: "failed" }, seconds(row.startedAt, row.updatedAt));
}
