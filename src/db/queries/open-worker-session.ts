/** openWorkerSession: a worker's Hello registers a session in the workers table, or resumes its previous one. */
import { sql } from "drizzle-orm";
import { isUuid } from "../../core/uuid.ts";
import { notifyWorker } from "../channels.ts";
import { type Executor, rows, textArray } from "../sql.ts";

export interface WorkerHello {
  name: string;
  host: string;
  pid: number;
  queues: string[];
  concurrency: number;
  version: string;
  draining: boolean;
  /** Its labels (docs/placement.md); absent: none. */
  labels?: Record<string, string>;
  /** The address of the coordinator holding the stream. */
  coordinator: string;
  /** That coordinator's id (its row in `coordinators`); null outside a coordinator (tests, tools). */
  coordinatorId?: string | null;
}

/**
 * Resumes `previousId` if that session is still alive (a coordinator restart or a
 * reconnect within the timeout), else registers a new session. Returns its id.
 */
export async function openWorkerSession(db: Executor, hello: WorkerHello, previousId: string | null): Promise<{ id: string; resumed: boolean }> {
  const status = hello.draining ? "draining" : "alive";
  if (previousId && isUuid(previousId)) {
    const resumed = rows<{ id: string }>(await db.execute(sql`
      update workers set status = ${status}, coordinator = ${hello.coordinator}, coordinator_id = ${hello.coordinatorId ?? null}, last_heartbeat_at = now(),
        concurrency = ${hello.concurrency}, queues = ${textArray(hello.queues)}::text[], labels = ${labelsJson(hello)}
      where id = ${previousId} and status <> 'dead' returning id`));
    if (resumed[0]) {
      await notifyWorker(db, { id: resumed[0].id, name: hello.name, status });
      return { id: resumed[0].id, resumed: true };
    }
  }
  const created = rows<{ id: string }>(await db.execute(sql`
    insert into workers (name, host, pid, status, queues, concurrency, version, coordinator, coordinator_id, labels)
    values (${hello.name}, ${hello.host}, ${hello.pid}, ${status}, ${textArray(hello.queues)}::text[],
            ${hello.concurrency}, ${hello.version}, ${hello.coordinator}, ${hello.coordinatorId ?? null}, ${labelsJson(hello)})
    returning id`));
  await notifyWorker(db, { id: created[0]!.id, name: hello.name, status });
  return { id: created[0]!.id, resumed: false };
}

function labelsJson(hello: WorkerHello) {
  return sql`${JSON.stringify(hello.labels ?? {})}::jsonb`;
}
