/**
 * precision: N tasks with run_at spread evenly over the next W seconds (submitted
 * through the batch route before the first is due). How far each start lands from
 * its run_at, and whether any started early. Baseline: how late plain setTimeout
 * timers fire here at the same rate (the floor for "start at a given time").
 */
import { timerLateness } from "../baselines/start-latency.ts";
import { nowMs, submitInBatches, type TaskBody } from "../support/api-client.ts";
import { type BenchContext, withCluster, withDatabase } from "../support/context.ts";
import { atMost, progress, summary } from "../support/report.ts";
import { waitFinished } from "../support/scratch-database.ts";

export async function precisionScenario(ctx: BenchContext): Promise<void> {
  const { tasks, windowSeconds, leadSeconds } = ctx.opts.precision;
  const rate = tasks / windowSeconds;
  const timerSeconds = Math.min(windowSeconds, 5);
  progress(`precision: setTimeout lateness baseline, ${Math.round(rate)}/s for ${timerSeconds} s`);
  const timers = summary(await timerLateness(Math.max(1, Math.round(rate * timerSeconds)), timerSeconds));
  await withDatabase(ctx, "precision", (db) =>
    withCluster(ctx, db, "all", async (cluster) => {
      const warmSince = new Date();
      await submitInBatches(cluster.baseUrl, Array.from({ length: 100 }, (_, i): TaskBody => ({ name: `warm ${i}`, command: "true" })));
      await waitFinished(db.sql, warmSince, 100, 30_000);

      progress(`precision: ${tasks} tasks due over ${windowSeconds} s, the first in ${leadSeconds} s`);
      const since = new Date(Date.now() - 1);
      const first = nowMs() + leadSeconds * 1000;
      const bodies = Array.from({ length: tasks }, (_, i): TaskBody => ({
        name: `bench precision ${i}`,
        command: "true",
        run_at: new Date(first + (i / tasks) * windowSeconds * 1000).toISOString(),
      }));
      await submitInBatches(cluster.baseUrl, bodies, 1000, 2);
      const submittedLate = nowMs() > first;
      await waitFinished(db.sql, since, tasks, (leadSeconds + windowSeconds) * 1000 + 120_000, 200);
      const rows = await db.sql<{ started: number; picked: number }[]>`
        select extract(epoch from started_at - run_at) * 1000 as started, extract(epoch from picked_at - run_at) * 1000 as picked
        from tasks where created_at >= ${since}`;
      const late = rows.map((r) => Number(r.started));
      const s = summary(late.map(Math.abs));
      const early = late.filter((ms) => ms < 0).length;
      const pickedEarly = rows.filter((r) => Number(r.picked) < 0).length;
      const note = `n=${s.n}${submittedLate ? "; submitting took longer than the lead: raise --precision-lead" : ""}`;
      const base = (k: "p50" | "p99") => ({ name: `setTimeout lateness ${k}, ${Math.round(rate)}/s`, value: timers[k], unit: "ms" });
      ctx.report.add("precision", `|started_at − run_at| p50`, s.p50, "ms", { baseline: base("p50"), note });
      ctx.report.add("precision", `|started_at − run_at| p99`, s.p99, "ms", { baseline: base("p99"), target: atMost(20, "ms") });
      ctx.report.add("precision", `|started_at − run_at| max`, s.max, "ms");
      ctx.report.add("precision", "started early (started_at < run_at)", early, "tasks", {
        target: atMost(0, "tasks"),
        note: `picked early: ${pickedEarly}`,
      });
    }),
  );
}
