/**
 * setWorkerDraining: a user drains or resumes a worker session. The row says so at
 * once (the dashboard shows `draining` before the worker answers) and a
 * WorkerControlRequest goes out on commit, so the coordinator holding the worker's
 * stream tells it (coordinator/worker-control-relay.ts); the worker's heartbeats
 * then keep the status (record-heartbeat.ts).
 */
import { sql } from "drizzle-orm";
import { ConflictError, NotFoundError } from "../../core/errors.ts";
import type { Db } from "../client.ts";
import { notifySql, notifyWorker, WORKER_CONTROL_CHANNEL, type WorkerControlRequest } from "../channels.ts";
import { workers, type WorkerRow } from "../schema/index.ts";

/** Returns the worker as it now is. Throws NotFoundError, or ConflictError for a session that has ended. */
export async function setWorkerDraining(db: Db, id: string, draining: boolean, reason: string): Promise<WorkerRow> {
  return db.transaction(async (tx) => {
    const [w] = await tx.select().from(workers).where(sql`${workers.id} = ${id}`).for("update");
    if (!w) throw new NotFoundError(`no worker with id ${id}`);
    if (w.status === "dead") throw new ConflictError(`worker ${w.name} has ${w.stopReason === "left" ? "left" : "been declared dead"}; a session that ended cannot ${draining ? "drain" : "resume"}`);
    const status = draining ? "draining" : "alive";
    const [updated] = await tx.update(workers).set({ status }).where(sql`${workers.id} = ${id}`).returning();
    if (w.status !== status) await notifyWorker(tx, { id, name: w.name, status });
    const request: WorkerControlRequest = { worker_id: id, action: draining ? "drain" : "resume", reason };
    await tx.execute(notifySql(WORKER_CONTROL_CHANNEL, [request])!);
    return updated!;
  });
}
