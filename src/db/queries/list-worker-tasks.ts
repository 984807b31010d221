/**
 * The live (picked or running) tasks of worker sessions, for the workers page:
 * each worker's row links the tasks it runs. Served by tasks_active_worker_idx,
 * whose predicate this repeats; the rows are bounded by the workers' slots.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { rows, statusListSql, uuidArray } from "../sql.ts";

export interface WorkerTask {
  id: string;
  name: string;
  status: string;
}

/** Worker session id → its live tasks, oldest start first. */
export async function listWorkerTasks(db: Db, workerIds: string[]): Promise<Map<string, WorkerTask[]>> {
  const out = new Map<string, WorkerTask[]>();
  if (workerIds.length === 0) return out;
  const found = rows<WorkerTask & { worker_id: string }>(
    await db.execute(sql`
      select id, name, status, worker_id from tasks
      where status in ${statusListSql(["picked", "running"])} and worker_id = any(${uuidArray(workerIds)}::uuid[])
      order by picked_at nulls last, id`),
  );
  for (const r of found) {
    const list = out.get(r.worker_id) ?? [];
    list.push({ id: r.id, name: r.name, status: r.status });
    out.set(r.worker_id, list);
  }
  return out;
}
