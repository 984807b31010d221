/** markWorkerLeft: a session ended on purpose (a drained worker left, or its coordinator shut it out before it opened). */
import { sql } from "drizzle-orm";
import { notifyWorker } from "../channels.ts";
import { rows, type Executor } from "../sql.ts";

export async function markWorkerLeft(db: Executor, workerId: string): Promise<void> {
  const r = rows<{ name: string }>(await db.execute(sql`
    update workers set status = 'dead', stopped_at = now(), running = 0, stop_reason = 'left'
    where id = ${workerId} and status <> 'dead' returning name`));
  // "left", as the API shows the session (scheduler/workers/routes.ts), not "dead".
  if (r[0]) await notifyWorker(db, { id: workerId, name: r[0].name, status: "left" });
}
