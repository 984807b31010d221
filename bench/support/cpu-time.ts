/**
 * CPU time used by processes during a measurement (user + system, from /proc), to
 * say where the cores went: each taskflow process, and the PostgreSQL backends
 * serving the scenario's database.
 */
import { readFileSync } from "node:fs";
import { BENCH_APPLICATION_NAME, type Sql } from "./scratch-database.ts";

const TICKS_PER_SECOND = 100;

/** CPU ms a process has used so far (0 once it is gone). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the full line, 12 and 13 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Backend pids serving `database` right now. */
export async function backendPids(sql: Sql, database: string): Promise<number[]> {
  const rows = await sql<{ pid: number }[]>`select pid from pg_stat_activity 
    where datname = ${database} and application_name <> ${BENCH_APPLICATION_NAME}`;
  return rows.map((r) => r.pid);
}

/** Starts counting CPU of named processes; `stop()` gives ms used by each since. */
export function cpuMeter(pids: Record<string, number[]>): { stop: () => Record<string, number> } {
  const start = Object.fromEntries(Object.entries(pids).map(([k, list]) => [k, list.map(cpuMs)]));
  return {
    stop: () =>
      Object.fromEntries(
        Object.entries(pids).map(([k, list]) => [k, list.reduce((sum, pid, i) => sum + Math.max(0, cpuMs(pid) - start[k]![i]!), 0)]),
      ),
  };
}

/** "all 1.20, pg 0.80 ms CPU/task" */
export function cpuPerTask(used: Record<string, number>, tasks: number): string {
  return `CPU ms/task: ${Object.entries(used)
    .map(([k, ms]) => `${k} ${(ms / tasks).toFixed(2)}`)
    .join(", ")}`;
}
