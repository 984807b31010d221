/**
 * The database's own ceiling for running tasks: `lanes` loops that each claim one
 * due task with `FOR UPDATE SKIP LOCKED` and mark it completed, two autocommit
 * statements per task, on the same `tasks` table and claim index taskflow uses.
 */
import { inLanes } from "../support/api-client.ts";
import type { Sql } from "../support/scratch-database.ts";

/** Loads `n` due tasks, then claims and completes them all; tasks per second. */
export async function rawClaimCompleteRate(sql: Sql, n: number, lanes: number): Promise<number> {
  await sql`insert into tasks (name, command, queue, priority, run_at, status)
            select 'raw claim ' || g, 'true', 'default', 0, now() - interval '1 second', 'scheduled' from generate_series(1, ${n}) g`;
  await sql`analyze tasks`;
  let claimed = 0;
  const t0 = performance.now();
  await inLanes(lanes, lanes, async () => {
    for (;;) {
      const [task] = await sql<{ id: string }[]>`
        update tasks t set status = 'picked', attempt = t.attempt + 1, picked_at = now(), updated_at = now()
        from (select id from tasks
              where status = 'scheduled' and queue = any('{default}'::text[]) and run_at <= now()
              order by priority desc, run_at limit 1
              for update skip locked) due
        where t.id = due.id
        returning t.id`;
      if (!task) return;
      await sql`update tasks set status = 'completed', finished_at = now(), exit_code = 0, updated_at = now() where id = ${task.id}`;
      claimed++;
    }
  });
  const seconds = (performance.now() - t0) / 1000;
  if (claimed !== n) throw new Error(`claim baseline: ${claimed} of ${n} claimed`);
  return n / seconds;
}
