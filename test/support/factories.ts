/** Test factories: rows with sensible defaults and partial overrides. */
import { sql } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";
import { openWorkerSession, type WorkerHello } from "../../src/db/queries/open-worker-session.ts";
import { tasks, type NewTaskRow, type TaskRow } from "../../src/db/schema/index.ts";

let n = 0;

export async function insertTasks(db: Db, count: number, overrides: Partial<NewTaskRow> = {}): Promise<TaskRow[]> {
  const values = Array.from({ length: count }, () => ({
    name: `task-${++n}`,
    command: "true",
    status: "scheduled",
    runAt: sql`now() - interval '1 second'` as unknown as Date,
    ...overrides,
  }));
  const out: TaskRow[] = [];
  for (let i = 0; i < values.length; i += 1000) out.push(...(await db.insert(tasks).values(values.slice(i, i + 1000)).returning()));
  return out;
}

export async function insertTask(db: Db, overrides: Partial<NewTaskRow> = {}): Promise<TaskRow> {
  return (await insertTasks(db, 1, overrides))[0]!;
}

export async function registerWorker(db: Db, overrides: Partial<WorkerHello> = {}): Promise<string> {
  const hello: WorkerHello = {
    name: `worker-${++n}`,
    host: "test-host",
    pid: 1,
    queues: ["default"],
    concurrency: 4,
    version: "test",
    draining: false,
    coordinator: "test",
    ...overrides,
  };
  return (await openWorkerSession(db, hello, null)).id;
}

/**
 * A coordinator row that has recorded without a gap for `recordingForMs` and was last
 * seen `seenAgoMs` ago (both by the database's clock); returns its id.
 */
export async function insertCoordinator(db: Db, o: { recordingForMs?: number; seenAgoMs?: number; stopped?: boolean } = {}): Promise<string> {
  const id = crypto.randomUUID();
  await db.execute(sql`
    insert into coordinators (id, address, recording_since, last_seen_at, stopped_at)
    values (${id}, ${`test:${++n}`}, now() - ${o.recordingForMs ?? 0} * interval '1 millisecond',
            now() - ${o.seenAgoMs ?? 0} * interval '1 millisecond', ${o.stopped ? sql`now()` : null})`);
  return id;
}
