/** recordHeartbeat: a worker session is alive (judged by the database's clock), with its running count and drain flag (alive ↔ draining). */
import { sql } from "drizzle-orm";
import { notifyWorker } from "../channels.ts";
import { executePrepared } from "../client.ts";
import { rows, type Executor } from "../sql.ts";

/** Records a heartbeat; false when the session was declared dead (its messages are refused from then on). */
export async function recordHeartbeat(db: Executor, workerId: string, running: number, draining: boolean): Promise<boolean> {
  const r = rows<{ id: string; was: string; name: string }>(await executePrepared(db, sql`
    update workers w set last_heartbeat_at = now(), running = ${running},
      status = case when ${draining} then 'draining' else 'alive' end
    from (select id, status as was from workers where id = ${workerId} for update) old
    where w.id = old.id and w.status <> 'dead'
    returning w.id, old.was, w.name`));
  const row = r[0];
  const status = draining ? "draining" : "alive";
  if (row && row.was !== status) await notifyWorker(db, { id: workerId, name: row.name, status });
  return row !== undefined;
}
