/**
 * Lists tasks newest first (created_at desc, seq desc: a batch shares one
 * created_at and its seq keeps it in request order) with keyset pagination: a
 * page starts strictly after the position of the previous page's last row, so
 * pages never repeat or skip rows, however many tasks arrive meanwhile.
 */
import { and, eq, getTableColumns, ilike, inArray, isNotNull, isNull, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client.ts";
import { tasks, type TaskRow } from "../schema/index.ts";
import { uuidArray } from "../sql.ts";

/** A position in the listing. `createdAt` keeps the database's microseconds (a JS Date would drop them). */
export interface TaskPosition {
  /** UTC, "YYYY-MM-DDTHH:MI:SS.ffffff". */
  createdAt: string;
  /** The row's tasks.seq. */
  seq: number;
}

export interface TaskListFilter {
  /** Any of these statuses; empty means all. */
  statuses: string[];
  queue: string | null;
  /** Case-insensitive substring of the name. */
  nameContains: string | null;
  /**
   * Case-insensitive substring of an attempt's output tails (stdout or stderr), found
   * through the trigram index task_attempts_output_trgm_idx (drizzle/0005).
   */
  outputContains?: string | null;
  /** Only the tasks this schedule made (served by the index tasks_schedule_created_idx). */
  scheduleId: string | null;
  /** true: only tasks a schedule made; false: only tasks submitted otherwise (the dashboard's "hide tasks made by schedules"). */
  fromSchedule?: boolean | null;
  /** Only tasks whose current or last attempt is on this worker session (with status picked,running: served by tasks_active_worker_idx). */
  workerId?: string | null;
  /** Only tasks with exactly this name. */
  name?: string | null;
  /** Only tasks created before (exclusive) / at or after (inclusive) this time. */
  createdBefore?: Date | null;
  createdAfter?: Date | null;
  /** Only these ids (the bulk actions' list of ids). */
  ids?: readonly string[] | null;
  /** Only tasks carrying every one of these labels (key and value). */
  labels?: Record<string, string> | null;
  /** Only the children of this fanout parent (served by tasks_parent_idx; docs/placement.md). */
  parentId?: string | null;
  /** Only ids in this inclusive range: an id prefix as the bounds of the ids that start with it (a primary key range scan). */
  idRange?: { from: string; to: string } | null;
  limit: number;
  /** Start after this position (the previous page's `next`). */
  after: TaskPosition | null;
}

export interface TaskPage {
  tasks: TaskRow[];
  /** Where the next page starts, or null on the last page. */
  next: TaskPosition | null;
}

export const POSITION_FORMAT = `YYYY-MM-DD"T"HH24:MI:SS.US`;

/**
 * The lists' order, newest first. "nulls last", as the indexes are declared (both columns are NOT NULL,
 * so the order is the same): a plain "desc" means nulls first, which no index serves, and 1M tasks are
 * then sorted for every page.
 */
export const LIST_ORDER = [sql`${tasks.createdAt} desc nulls last`, sql`${tasks.seq} desc nulls last`] as const;

export async function listTasks(db: Db, f: TaskListFilter): Promise<TaskPage> {
  const found = await listTasksQuery(db, f);
  const page = found.slice(0, f.limit);
  const last = page.at(-1);
  return {
    tasks: page.map(({ position: _, ...task }) => task),
    next: found.length > f.limit && last ? { createdAt: last.position, seq: last.seq } : null,
  };
}

/** The statement listTasks runs (exported so tests can EXPLAIN it). */
export function listTasksQuery(db: Db, f: TaskListFilter) {
  return db
    .select({ ...getTableColumns(tasks), position: sql<string>`to_char(${tasks.createdAt} at time zone 'UTC', ${POSITION_FORMAT})` })
    .from(tasks)
    .where(and(...conditions(f)))
    .orderBy(...LIST_ORDER)
    // One row more than asked tells whether another page follows.
    .limit(f.limit + 1);
}

/** The filter's conditions, with its page position when it has one: the bulk actions walk the same set. */
export function taskListConditions(f: Omit<TaskListFilter, "limit">): SQL[] {
  return conditions({ ...f, limit: 0 });
}

function conditions(f: TaskListFilter): SQL[] {
  const out: SQL[] = [];
  if (f.ids) out.push(sql`${tasks.id} = any(${uuidArray(f.ids)}::uuid[])`);
  if (f.statuses.length === 1) out.push(eq(tasks.status, f.statuses[0]!));
  else if (f.statuses.length > 1) out.push(inArray(tasks.status, f.statuses));
  if (f.queue !== null) out.push(eq(tasks.queue, f.queue));
  // `is not null` spelled out matches the partial index's predicate, so the planner need not prove it.
  if (f.scheduleId !== null) out.push(eq(tasks.scheduleId, f.scheduleId), isNotNull(tasks.scheduleId));
  if (f.fromSchedule === true) out.push(isNotNull(tasks.scheduleId));
  else if (f.fromSchedule === false) out.push(isNull(tasks.scheduleId));
  if (f.workerId) out.push(eq(tasks.workerId, f.workerId));
  if (f.name) out.push(eq(tasks.name, f.name));
  if (f.createdBefore) out.push(sql`${tasks.createdAt} < ${f.createdBefore.toISOString()}::timestamptz`);
  if (f.createdAfter) out.push(sql`${tasks.createdAt} >= ${f.createdAfter.toISOString()}::timestamptz`);
  if (f.labels && Object.keys(f.labels).length > 0) out.push(sql`${tasks.labels} @> ${JSON.stringify(f.labels)}::jsonb`);
  if (f.parentId) out.push(eq(tasks.parentId, f.parentId), isNotNull(tasks.parentId));
  if (f.idRange) out.push(sql`${tasks.id} between ${f.idRange.from}::uuid and ${f.idRange.to}::uuid`);
  if (f.nameContains !== null) out.push(ilike(tasks.name, `%${escapeLike(f.nameContains)}%`));
  if (f.outputContains) {
    // The same expression as the index, so the planner can use it.
    const pattern = `%${escapeLike(f.outputContains)}%`;
    out.push(sql`${tasks.id} in (select a.task_id from task_attempts a where (coalesce(a.stdout_tail, '') || ' ' || coalesce(a.stderr_tail, '')) ilike ${pattern})`);
  }
  if (f.after !== null) {
    out.push(sql`(${tasks.createdAt}, ${tasks.seq}) < ((${f.after.createdAt}::timestamp at time zone 'UTC'), ${f.after.seq}::bigint)`);
  }
  return out;
}

/** `%`, `_` and `\` in a search are literal characters, not patterns. */
function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
