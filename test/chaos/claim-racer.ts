/**
 * One "coordinator" of the claim race, as its own process: CLAIMERS concurrent loops,
 * each a worker session with its own connection, calling the real claimDueTasks on
 * the race queue until every race task is completed. Each claimed attempt is
 * completed, or (while the task still needs more attempts) failed with a retry delay
 * of its choosing. Every claim and every chosen delay is printed, one per line:
 *
 *     claim TASK ATTEMPT CLAIMER
 *     retry TASK ATTEMPT DELAY_MS
 *     stale TASK ATTEMPT          (an outcome write was refused: the attempt was not current)
 *
 * Usage: bun test/chaos/claim-racer.ts DATABASE_URL NAME CLAIMERS QUEUE
 * A task named `race-I-N` needs N attempts.
 */
import { sql } from "drizzle-orm";
import { openDatabase } from "../../src/db/client.ts";
import { attemptKey } from "../../src/core/attempt.ts";
import { recordAttemptOutcomes, type AttemptOutcomeWrite } from "../../src/db/queries/record-attempt-outcomes.ts";
import { claimDueTasks } from "../../src/db/queries/claim-due-tasks.ts";
import { openWorkerSession } from "../../src/db/queries/open-worker-session.ts";
import { rows } from "../../src/db/sql.ts";

const [url, name, claimersArg, queue] = process.argv.slice(2);
const claimers = Number(claimersArg);
const RACE_QUEUE = queue!;
const database = await openDatabase({ databaseUrl: url!, dataDir: "", poolSize: claimers + 1, onNotice: () => {} });
const db = database.db;
const out: string[] = [];
let done = false;

async function remaining(): Promise<number> {
  const r = rows<{ n: number }>(await db.execute(sql`select count(*)::int as n from tasks where queue = ${RACE_QUEUE} and status <> 'completed'`));
  return Number(r[0]!.n);
}

async function claimer(i: number): Promise<void> {
  const workerName = `${name}-${i}`;
  const hello = { name: workerName, host: "race", pid: process.pid, queues: [RACE_QUEUE], concurrency: 8, version: "race", draining: false, coordinator: name! };
  const { id: workerId } = await openWorkerSession(db, hello, null);
  let idle = 0;
  while (!done) {
    const claimed = await claimDueTasks(db, { workerId, workerName, queues: [RACE_QUEUE], limit: 1 + Math.floor(Math.random() * 8) });
    if (claimed.length === 0) {
      // Nothing due: maybe all done, maybe retries not due yet.
      if (++idle % 20 === 0 && (await remaining()) === 0) done = true;
      await Bun.sleep(5);
      continue;
    }
    idle = 0;
    const outcomes: AttemptOutcomeWrite[] = claimed.map((c) => {
      out.push(`claim ${c.id} ${c.attempt} ${workerName}`);
      const needed = Number(c.name.split("-")[2]);
      const retry = c.attempt < needed;
      const delayMs = retry ? 50 + Math.floor(Math.random() * 250) : 0;
      if (retry) out.push(`retry ${c.id} ${c.attempt} ${delayMs}`);
      return {
        taskId: c.id,
        attempt: c.attempt,
        workerId,
        attemptStatus: retry ? "failed" : "completed",
        taskStatus: retry ? "scheduled" : "completed",
        delayMs,
        exitCode: retry ? 1 : 0,
        error: retry ? "exit code 1" : null,
        stdoutTail: null,
        stderrTail: null,
        startedAt: null,
        message: null,
      };
    });
    const applied = await recordAttemptOutcomes(db, outcomes);
    for (const c of claimed) if (!applied.has(attemptKey(c.id, c.attempt))) out.push(`stale ${c.id} ${c.attempt}`);
  }
}

await Promise.all(Array.from({ length: claimers }, (_, i) => claimer(i)));
await database.close();
process.stdout.write(`${out.join("\n")}\n`);
