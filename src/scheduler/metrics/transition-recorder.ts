/**
 * Turns the change feed's task transitions into counters and histograms. The
 * feed already hears every transition in the cluster (NOTIFY from a trigger on
 * task_events), and each notification carries the task's queue and the attempt's
 * run time or dispatch lag (see TaskChange), so counting costs no query at all,
 * whatever the scrape rate or table size, and needs no task rows.
 *
 * Counters therefore count cluster-wide transitions seen since this scheduler
 * started: Prometheus' rate()/increase() handle the reset at a restart, and
 * several schedulers each count every transition (aggregate with max, not sum).
 * A notification lost while the database connection is down is not counted;
 * the gauges, read from the database on scrape, stay exact.
 *
 * The trigger measures durations on the task row as the transition's own
 * statement left it, and leaves them out when the row is no longer in that
 * attempt and status, so an observation is skipped rather than measured against
 * the wrong attempt (a user's retry, which clears started_at, is not measured).
 */
import type { FeedBatch } from "../live/change-feed.ts";
import type { Instruments } from "./instruments.ts";
import type { Throughput } from "./throughput.ts";

export function recordBatch(m: Instruments, throughput: Throughput, batch: FeedBatch): void {
  // Submissions come by the thousand (a batch submit): counted per queue, then added once each.
  const submitted = new Map<string, number>();
  let submittedTotal = 0;
  for (const change of batch.taskChanges) {
    const queue = change.queue ?? "unknown";
    const duration = change.duration === undefined ? undefined : Math.max(0, change.duration);
    switch (change.status) {
      case "created":
        submitted.set(queue, (submitted.get(queue) ?? 0) + 1);
        submittedTotal++;
        break;
      case "completed":
      case "failed":
        (change.status === "completed" ? m.completed : m.failed).inc({ queue });
        throughput.add(change.status);
        if (duration !== undefined) m.attemptDuration.observe({ queue, outcome: change.status }, duration);
        break;
      case "cancelled":
        m.cancelled.inc({ queue });
        break;
      case "scheduled":
        // attempt 0 is the first scheduling at submission; later ones are retries.
        if (change.attempt > 0) {
          m.retried.inc({ queue });
          if (duration !== undefined) m.attemptDuration.observe({ queue, outcome: "failed" }, duration);
        }
        break;
      case "running":
        if (change.lag !== undefined) m.dispatchLag.observe({ queue }, Math.max(0, change.lag));
        break;
    }
  }
  for (const [queue, n] of submitted) m.submitted.inc({ queue }, n);
  if (submittedTotal > 0) throughput.add("submitted", submittedTotal);
}
