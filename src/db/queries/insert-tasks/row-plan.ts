/**
 * Turns submitted tasks into the rows the insert sends: each with its id given up
 * front (so rows map back to items without relying on any result order), repeats
 * of an idempotency key within the call left out, same-call dependencies resolved
 * to ids.
 */
import type { NewTask } from "./new-task.ts";

/** One row of the insert; keys are the column names the insert reads (row-columns.ts's ROW_COLUMNS, insert-task-rows.ts). */
export interface RowJson {
  id: string;
  name: string;
  command: string;
  env: Record<string, string>;
  queue: string;
  priority: number;
  run_at: string | null;
  delay_ms: number;
  max_retries: number;
  backoff_ms: number;
  backoff_factor: number;
  backoff_max_ms: number;
  timeout_ms: number | null;
  idempotency_key: string | null;
  schedule_id: string | null;
  created_by: string | null;
  concurrency_key: string | null;
  concurrency_limit: number;
  on_dependency_failure: "cancel" | "run";
  /** Resolved ids; blocked_by (how many are unfinished) is set by lockDependencies. */
  depends_on: string[];
  blocked_by: number;
  /** A later row of the same call depends on it. */
  has_dependents: boolean;
  selector: Record<string, string> | null;
  labels: Record<string, string>;
  fanout: string | null;
  fanout_retry: "same" | "any";
  pinned_worker: string | null;
  parent_id: string | null;
  /** Workers to pin this parent's children to (not a column). */
  fanout_workers?: string[];
}

export interface RowPlan {
  /** Rows to insert: every item, except later repeats of a key within the call. */
  rows: RowJson[];
  /** The id given to each item's row (undefined for repeats of a key). */
  idOf: (string | undefined)[];
  /** idempotency key → index of the first item that carries it. */
  firstIndexOfKey: Map<string, number>;
}

/** The rows for `input`, in request order: insertTaskRows numbers them in it (tasks.seq). */
export function planRows(input: NewTask[]): RowPlan {
  const rows: RowJson[] = [];
  const idOf: (string | undefined)[] = [];
  const firstIndexOfKey = new Map<string, number>();
  /** Each item's row (undefined for repeats of a key). */
  const rowOfItem: (RowJson | undefined)[] = [];
  const isoOf = isoMemo();
  for (let i = 0; i < input.length; i++) {
    const t = input[i]!;
    if (t.idempotencyKey !== null) {
      if (firstIndexOfKey.has(t.idempotencyKey)) {
        idOf.push(undefined);
        rowOfItem.push(undefined);
        continue;
      }
      firstIndexOfKey.set(t.idempotencyKey, i);
    }
    const row = toRowJson(t, isoOf);
    idOf.push(row.id);
    rows.push(row);
    rowOfItem.push(row);
  }
  // Same-call references become ids now that every row has one (validation lets them point only to earlier, unkeyed items).
  for (let i = 0; i < input.length; i++) {
    const deps = input[i]!.dependsOn;
    const row = deps?.length ? rowOfItem[i] : undefined;
    if (row) row.depends_on = [...new Set(deps!.map((d) => (typeof d === "number" ? idOf[d]! : d)))];
  }
  return { rows, idOf, firstIndexOfKey };
}

/** Date → ISO text, keeping the last answer: the tasks of a call often share one run_at. */
function isoMemo(): (d: Date) => string {
  let ms = Number.NaN;
  let text = "";
  return (d) => {
    const t = d.getTime();
    if (t !== ms) {
      ms = t;
      text = d.toISOString();
    }
    return text;
  };
}

function toRowJson(t: NewTask, isoOf: (d: Date) => string): RowJson {
  return {
    id: crypto.randomUUID(),
    name: t.name,
    command: t.command,
    env: t.env,
    queue: t.queue,
    priority: t.priority,
    run_at: t.runAt ? isoOf(t.runAt) : null,
    delay_ms: t.delayMs,
    max_retries: t.maxRetries,
    backoff_ms: t.backoffMs,
    backoff_factor: t.backoffFactor,
    backoff_max_ms: t.backoffMaxMs,
    timeout_ms: t.timeoutMs,
    idempotency_key: t.idempotencyKey,
    schedule_id: t.scheduleId ?? null,
    created_by: t.createdBy ?? null,
    concurrency_key: t.concurrencyKey ?? null,
    concurrency_limit: t.concurrencyLimit ?? 1,
    on_dependency_failure: t.onDependencyFailure ?? "cancel",
    depends_on: [],
    // A fanout parent waits for its children (drizzle/0012_placement.sql keeps the count).
    blocked_by: t.fanoutWorkers?.length ?? 0,
    has_dependents: false,
    selector: t.selector && Object.keys(t.selector).length > 0 ? t.selector : null,
    labels: t.labels ?? {},
    fanout: t.fanout === undefined || t.fanout === null ? null : String(t.fanout),
    fanout_retry: t.fanoutRetry ?? "same",
    pinned_worker: null,
    parent_id: null,
    fanout_workers: t.fanoutWorkers,
  };
}
