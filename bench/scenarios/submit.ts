/**
 * submit: tasks per second accepted by the API with a future run_at (nothing runs),
 * one per POST /api/tasks from many clients, then 1,000 per POST /api/tasks/batch.
 * Baselines: raw single-row INSERTs from as many callers, and raw
 * `INSERT ... SELECT unnest(...)` of 1,000 rows, into the same table.
 */
import { rawBulkInsertRate, rawSingleInsertRate } from "../baselines/insert-rate.ts";
import { inLanes, submitInBatches, submitOne, type TaskBody } from "../support/api-client.ts";
import { type BenchContext, withCluster, withDatabase } from "../support/context.ts";
import { backendPids, cpuMeter, cpuPerTask } from "../support/cpu-time.ts";
import { atLeastRatio, progress } from "../support/report.ts";
import { truncateTasks } from "../support/scratch-database.ts";

const BATCH = 1000;
const WARMUP = 300;

export async function submitScenario(ctx: BenchContext): Promise<void> {
  const { tasks, clients, batchTasks, batchClients } = ctx.opts.submit;
  const runAt = new Date(Date.now() + 24 * 3600_000);
  const body = (i: number): TaskBody => ({ name: `bench submit ${i}`, command: "true", run_at: runAt.toISOString() });
  await withDatabase(ctx, "submit", (db) =>
    withCluster(ctx, db, "all", async (cluster) => {
      const api = cluster.baseUrl;
      await inLanes(Math.min(WARMUP, tasks), clients, (i) => submitOne(api, body(i)));
      await submitInBatches(api, Array.from({ length: BATCH }, (_, i) => body(i)), BATCH, 1);
      await truncateTasks(db.sql);

      progress(`submit: raw single-row INSERT baseline (${tasks} rows, ${clients} callers)`);
      const rawSingle = await rawSingleInsertRate(db.sql, tasks, clients, runAt);
      await truncateTasks(db.sql);
      progress(`submit: ${tasks} × POST /api/tasks from ${clients} clients`);
      const pids = { taskflow: [cluster.process("scheduler").proc.pid], pg: await backendPids(db.sql, db.name) };
      let meter = cpuMeter(pids);
      let t0 = performance.now();
      await inLanes(tasks, clients, (i) => submitOne(api, body(i)));
      const single = tasks / ((performance.now() - t0) / 1000);
      const singleCpu = cpuPerTask(meter.stop(), tasks);
      ctx.report.add("submit", `POST /api/tasks, ${clients} clients`, single, "tasks/s", {
        baseline: { name: `raw 1-row INSERT, ${clients} callers`, value: rawSingle, unit: "rows/s" },
        target: atLeastRatio(0.5),
        note: singleCpu,
      });

      await truncateTasks(db.sql);
      progress(`submit: raw INSERT ... SELECT unnest baseline (${batchTasks} rows, ${BATCH} per statement, ${batchClients} callers)`);
      const rawBulk = await rawBulkInsertRate(db.sql, batchTasks, BATCH, batchClients, runAt);
      await truncateTasks(db.sql);
      progress(`submit: ${batchTasks} tasks through POST /api/tasks/batch, ${BATCH} per request, ${batchClients} clients`);
      const bodies = Array.from({ length: batchTasks }, (_, i) => body(i));
      meter = cpuMeter(pids);
      t0 = performance.now();
      // The answer SPEC §3 gives (every task in full), as in the figures before the lean answer.
      await submitInBatches(api, bodies, BATCH, batchClients, "full");
      const batch = batchTasks / ((performance.now() - t0) / 1000);
      ctx.report.add("submit", `POST /api/tasks/batch (${BATCH}/request), ${batchClients} clients`, batch, "tasks/s", {
        baseline: { name: `raw INSERT…unnest (${BATCH}/stmt)`, value: rawBulk, unit: "rows/s" },
        target: atLeastRatio(0.4),
        note: cpuPerTask(meter.stop(), batchTasks),
      });
    }),
  );
}
