/**
 * The ledger: what really ran, written by the test tasks themselves to a file outside
 * PostgreSQL, so the checker can hold the database's story against it. Each run
 * appends a start line and, when it ends, an end line:
 *
 *     task_id attempt worker pid start_ms - start
 *     task_id attempt worker pid start_ms end_ms ok|term
 *
 * `attempt` and `worker` come from TASKFLOW_ATTEMPT and TASKFLOW_WORKER, which the
 * worker exports into every task; `pid` is the task's shell (its process group).
 * Lines are far below PIPE_BUF, so concurrent `>>` appends never interleave.
 */
import { readFileSync } from "node:fs";

/** One run of one attempt, as the ledger tells it. */
export interface LedgerRun {
  taskId: string;
  attempt: number;
  worker: string;
  pid: number;
  /** ms since the epoch, by the clock the task saw. */
  start: number;
  /** null while (or if) the run never wrote its end line. */
  end: number | null;
  /** ok: the command ran to its end; term: it was stopped by SIGTERM; null: no end line. */
  outcome: "ok" | "term" | null;
}

export interface LedgerCommandOptions {
  /** How long the task sleeps: seconds as a number, or a shell word (e.g. "$SLEEP"). */
  sleep: number | string;
  /** Exit code after a full run (default 0): a number, or a shell word (e.g. "$X"). */
  exitCode?: number | string;
  /** Command that prints the time in ms (default `date +%s%3N`); e.g. one that ignores faketime. */
  clock?: string;
}

/**
 * The shell command of a ledger task: it records its start, sleeps (interruptibly, so
 * a TERM is recorded at once), records its end and exits. The ledger path comes from
 * the task's env as LEDGER.
 * @example
 * submit({ name: "t", command: ledgerCommand({ sleep: 1.5 }), env: { LEDGER: "/tmp/l" } });
 */
export function ledgerCommand(o: LedgerCommandOptions): string {
  const clock = o.clock ?? "date +%s%3N";
  return [
    `s=$(${clock})`,
    `r="$TASKFLOW_TASK_ID $TASKFLOW_ATTEMPT $TASKFLOW_WORKER $$ $s"`,
    `echo "$r - start" >> "$LEDGER"`,
    `trap 'echo "$r $(${clock}) term" >> "$LEDGER"; exit 143' TERM`,
    `sleep ${o.sleep} & wait $!`,
    `echo "$r $(${clock}) ok" >> "$LEDGER"`,
    `exit ${o.exitCode ?? 0}`,
  ].join("; ");
}

/** Parses ledger text into runs (start and end lines merged); malformed lines are returned as errors. */
export function parseLedger(text: string): { runs: LedgerRun[]; errors: string[] } {
  const runs = new Map<string, LedgerRun>();
  const errors: string[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const f = line.trim().split(/\s+/);
    if (f.length !== 7 || !/^\d+$/.test(f[1]!) || !/^\d+$/.test(f[3]!) || !/^\d+$/.test(f[4]!)) {
      errors.push(`malformed ledger line: ${JSON.stringify(line)}`);
      continue;
    }
    const [taskId, attempt, worker, pid, start, end, outcome] = f as [string, string, string, string, string, string, string];
    const key = `${taskId}:${attempt}:${pid}`;
    const run = runs.get(key) ?? { taskId, attempt: Number(attempt), worker, pid: Number(pid), start: Number(start), end: null, outcome: null };
    if (outcome === "ok" || outcome === "term") {
      if (run.end !== null) errors.push(`run ${key} ended twice`);
      run.end = Number(end);
      run.outcome = outcome;
    } else if (outcome !== "start") {
      errors.push(`unknown ledger outcome ${JSON.stringify(outcome)} in ${JSON.stringify(line)}`);
    }
    runs.set(key, run);
  }
  return { runs: [...runs.values()], errors };
}

/** Reads and parses a ledger file; a missing file is an empty ledger. */
export function readLedger(path: string): { runs: LedgerRun[]; errors: string[] } {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    // No task ran yet.
  }
  return parseLedger(text);
}
