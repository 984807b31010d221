// Chaos 9, claim race: two processes (two "coordinators") × 16 concurrent claimers
// run the real claimDueTasks over many due and soon-due tasks, some needing retries.
// Every attempt is claimed exactly once, attempts run 1..n, and no claim comes
// before the task's run_at (the original one, or the failed attempt's end + delay).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { join } from "node:path";
import { openDatabase, type Database } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { tasks as tasksTable } from "../../src/db/schema/index.ts";
import { createPostgresDatabase } from "../support/databases.ts";
import { recordResult } from "./report.ts";
import { bySize, chaosDatabaseUrl } from "./sizes.ts";

const TASKS = bySize(10_000, 1000);
const RACE_QUEUE = "race";
const RACERS = 2;
const CLAIMERS = 16;
/** Tasks become due over this window, so claimers keep meeting tasks that are not due yet. */
const SPREAD_MS = bySize(5000, 2000);

let database: Database;
let url = "";
let drop: (() => Promise<void>) | null = null;

beforeAll(async () => {
  chaosDatabaseUrl();
  const created = await createPostgresDatabase();
  url = created.url;
  drop = created.drop;
  database = await openDatabase({ databaseUrl: url, dataDir: "", onNotice: () => {} });
  await migrate(database.db);
});

afterAll(async () => {
  await database?.close();
  await drop?.();
});

/** How many attempts task i needs: most one, some two or three. */
const needed = (i: number) => (i % 10 === 0 ? 3 : i % 5 === 0 ? 2 : 1);

test(`claim race: ${RACERS} coordinators × ${CLAIMERS} claimers over ${TASKS} tasks`, async () => {
  const runAt = new Map<string, number>();
  for (let i = 0; i < TASKS; i += 1000) {
    const values = Array.from({ length: Math.min(1000, TASKS - i) }, (_, k) => ({
      name: `race-${i + k}-${needed(i + k)}`,
      command: "true",
      queue: RACE_QUEUE,
      status: "scheduled",
      // Half due now, half due within the spread (by the database clock).
      runAt: sql`now() + (case when random() < 0.5 then 0 else random() end) * ${SPREAD_MS} * interval '1 millisecond'` as unknown as Date,
    }));
    const inserted = await database.db.insert(tasksTable).values(values).returning({ id: tasksTable.id, runAt: tasksTable.runAt });
    for (const r of inserted) runAt.set(r.id, r.runAt.getTime());
  }

  const started = Date.now();
  const racers = Array.from({ length: RACERS }, (_, i) =>
    Bun.spawn([process.execPath, join(import.meta.dir, "claim-racer.ts"), url, `racer${i + 1}`, String(CLAIMERS), RACE_QUEUE], { stdout: "pipe", stderr: "pipe" }),
  );
  const outputs = await Promise.all(racers.map(async (p) => ({ out: await new Response(p.stdout).text(), err: await new Response(p.stderr).text(), code: await p.exited })));
  const seconds = (Date.now() - started) / 1000;
  for (const o of outputs) expect(o.code, o.err).toBe(0);

  const lines = outputs.flatMap((o) => o.out.split("\n").filter(Boolean).map((l) => l.split(" ")));
  const claims = lines.filter((l) => l[0] === "claim");
  const delays = new Map(lines.filter((l) => l[0] === "retry").map((l) => [`${l[1]}:${l[2]}`, Number(l[3])]));
  const stale = lines.filter((l) => l[0] === "stale");
  const byAttempt = new Map<string, number>();
  for (const c of claims) byAttempt.set(`${c[1]}:${c[2]}`, (byAttempt.get(`${c[1]}:${c[2]}`) ?? 0) + 1);
  const twice = [...byAttempt].filter(([, n]) => n > 1);

  const attempts = await database.db.execute(sql`
    select a.task_id, a.attempt, t.name, (extract(epoch from a.picked_at) * 1000)::float8 as picked,
      (extract(epoch from a.finished_at) * 1000)::float8 as finished, t.status
    from task_attempts a join tasks t on t.id = a.task_id order by a.task_id, a.attempt`);
  const rowsOf = attempts as unknown as Array<{ task_id: string; attempt: number; name: string; picked: number; finished: number; status: string }>;
  const early: string[] = [];
  const numbering: string[] = [];
  const byTask = new Map<string, typeof rowsOf>();
  for (const r of rowsOf) byTask.set(r.task_id, [...(byTask.get(r.task_id) ?? []), r]);
  for (const [id, list] of byTask) {
    const need = Number(list[0]!.name.split("-")[2]);
    if (list.map((r) => r.attempt).join(",") !== Array.from({ length: need }, (_, i) => i + 1).join(",")) numbering.push(id);
    list.forEach((r, i) => {
      // Claimed no earlier than run_at: the submitted one, or (for a retry) the failed attempt's end + its delay.
      const due = i === 0 ? runAt.get(id)! : list[i - 1]!.finished + delays.get(`${id}:${r.attempt - 1}`)!;
      if (r.picked < due - 0.01) early.push(`${id} attempt ${r.attempt} picked ${(due - r.picked).toFixed(3)} ms early`);
    });
  }
  const expectedAttempts = Array.from({ length: TASKS }, (_, i) => needed(i)).reduce((a, b) => a + b, 0);
  recordResult("claim-race", {
    tasks: TASKS,
    racers: RACERS,
    claimersEach: CLAIMERS,
    claims: claims.length,
    expectedAttempts,
    seconds: Math.round(seconds * 10) / 10,
    claimsPerSecond: Math.round(claims.length / seconds),
    duplicateClaims: twice.length,
    staleWrites: stale.length,
    early: early.length,
  });
  expect(twice).toEqual([]);
  expect(claims.length).toBe(expectedAttempts);
  expect(byTask.size).toBe(TASKS);
  expect(rowsOf.every((r) => r.status === "completed")).toBe(true);
  expect(numbering).toEqual([]);
  expect(stale).toEqual([]);
  expect(early).toEqual([]);
}, bySize(600_000, 120_000));
