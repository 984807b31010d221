/**
 * The floor for submit-to-start through PostgreSQL on this machine: a task row is
 * inserted with a NOTIFY in one autocommit statement; a LISTENer claims it with
 * `FOR UPDATE SKIP LOCKED` and spawns `/bin/sh -c true`. Latency is insert sent →
 * process spawned, at the same steady rate as the latency scenario. No HTTP, no
 * gRPC hop, no bookkeeping: what taskflow adds on top is the difference.
 */
import { nowMs } from "../support/api-client.ts";
import type { Sql } from "../support/scratch-database.ts";

const CHANNEL = "bench_raw_wake";

/** Submit-to-spawn latencies in ms, one per task. */
export async function rawStartLatencies(sql: Sql, rate: number, seconds: number): Promise<number[]> {
  const n = Math.max(1, Math.round(rate * seconds));
  const submittedAt = new Map<string, number>();
  const latencies: number[] = [];
  let running = false;
  let again = false;
  const claimAll = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        for (;;) {
          const [task] = await sql<{ name: string }[]>`
            update tasks t set status = 'picked', attempt = t.attempt + 1, picked_at = now()
            from (select id from tasks where status = 'scheduled' and queue = any('{default}'::text[]) and run_at <= now()
                  order by priority desc, run_at limit 1 for update skip locked) due
            where t.id = due.id returning t.name`;
          if (!task) break;
          const proc = Bun.spawn(["/bin/sh", "-c", "true"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
          latencies.push(nowMs() - submittedAt.get(task.name)!);
          void proc.exited;
        }
      } while (again);
    } finally {
      running = false;
    }
  };
  const listener = await sql.listen(CHANNEL, () => void claimAll());
  const intervalMs = 1000 / rate;
  const t0 = performance.now();
  const inserts: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const wait = t0 + i * intervalMs - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    const name = `raw latency ${i}`;
    submittedAt.set(name, nowMs());
    // execute(): postgres.js sends a query only once it is awaited, and this loop must not wait.
    inserts.push(sql`with t as (insert into tasks (name, command, status) values (${name}, 'true', 'scheduled') returning 1)
                     select pg_notify(${CHANNEL}, '') from t`.execute());
  }
  await Promise.all(inserts);
  const deadline = Date.now() + 10_000;
  while (latencies.length < n && Date.now() < deadline) await Bun.sleep(10);
  await listener.unlisten();
  return latencies;
}

/** How late `setTimeout` fires here when `n` timers are spread over `seconds`: the floor for starting on time. */
export async function timerLateness(n: number, seconds: number): Promise<number[]> {
  const late: number[] = [];
  const t0 = performance.now() + 50;
  await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const due = t0 + (i / n) * seconds * 1000;
      return new Promise<void>((resolve) =>
        setTimeout(() => {
          late.push(performance.now() - due);
          resolve();
        }, due - performance.now()),
      );
    }),
  );
  return late;
}
