/** `taskflow ls`: tasks as a table that fits the terminal, the API's JSON, or a live view (--watch). */
import type { ApiClient } from "../api-client.ts";
import type { TaskJson, TaskListJson } from "../api-types.ts";
import { boolFlag, intFlag, stringFlag } from "../args.ts";
import { UsageError } from "../errors.ts";
import { resolveScheduleId, shortId } from "../ids.ts";
import { statusStyle, type Output } from "../output.ts";
import type { CommandContext } from "../spec.ts";
import { renderTable, type Column } from "../table.ts";
import { watchTasks } from "../task-watcher.ts";
import { age, runTime } from "../time-format.ts";

/** The page size used to read every task with --all. */
const ALL_PAGE = 500;
/** Collect a burst of events this long before redrawing --watch. */
const WATCH_SETTLE_MS = 250;

export async function run({ args, output, api: connect }: CommandContext): Promise<number> {
  if (args.positionals.length > 0) throw new UsageError(`taskflow ls takes no arguments (got "${args.positionals[0]}"); filter with --status, --queue, --search`);
  const all = boolFlag(args, "all");
  const limit = intFlag(args, "limit", 1, 500);
  if (all && limit !== undefined) throw new UsageError("give --all or --limit, not both");
  const json = boolFlag(args, "json");
  const watch = boolFlag(args, "watch");
  if (json && watch) throw new UsageError("--watch draws a table; it does not combine with --json");
  const api = connect();
  const query = new URLSearchParams();
  for (const [flag, param] of [["status", "status"], ["queue", "queue"], ["search", "q"]] as const) {
    const v = stringFlag(args, flag);
    if (v !== undefined) query.set(param, v);
  }
  const schedule = stringFlag(args, "schedule");
  const noSchedules = boolFlag(args, "no-schedules");
  if (schedule !== undefined && noSchedules) throw new UsageError("give --schedule or --no-schedules, not both");
  if (schedule !== undefined) query.set("schedule_id", await resolveScheduleId(api, schedule));
  if (noSchedules) query.set("from_schedule", "false");
  if (limit !== undefined) query.set("limit", String(limit));
  if (all) query.set("limit", String(ALL_PAGE));

  const load = () => (all ? readAll(api, query) : api.get<TaskListJson>(`/api/tasks?${query}`));
  if (json) {
    output.out(`${JSON.stringify(await load(), null, 2)}\n`);
    return 0;
  }
  if (!watch) {
    output.out(tasksTable((await load()).tasks, output, Date.now()));
    return 0;
  }
  return watchTable(api, load, output);
}

/** Every page, following next_cursor; answered as one page. */
async function readAll(api: ApiClient, query: URLSearchParams): Promise<TaskListJson> {
  const tasks: TaskJson[] = [];
  for (let cursor: string | null = null; ; ) {
    const q = new URLSearchParams(query);
    if (cursor) q.set("cursor", cursor);
    const page: TaskListJson = await api.get<TaskListJson>(`/api/tasks?${q}`);
    tasks.push(...page.tasks);
    cursor = page.next_cursor;
    if (!cursor) return { tasks, next_cursor: null };
  }
}

/** Redraws on every task event (and every few seconds, for the ages) until Ctrl-C. */
async function watchTable(api: ApiClient, load: () => Promise<TaskListJson>, output: Output): Promise<number> {
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.on("SIGINT", onSigint);
  try {
    await watchTasks(
      api,
      async () => {
        const table = tasksTable((await load()).tasks, output, Date.now());
        // Home and clear on a terminal; a pipe gets one table after another.
        output.out(output.stdoutIsTty ? `\x1b[H\x1b[2J${table}` : `${table}\n`);
        return false;
      },
      { ids: null, signal: stop.signal, settleMs: WATCH_SETTLE_MS },
    );
  } finally {
    process.off("SIGINT", onSigint);
  }
  return 0;
}

export function tasksTable(tasks: TaskJson[], output: Output, now: number): string {
  if (tasks.length === 0) return "no tasks\n";
  const columns: Column<TaskJson>[] = [
    { header: "ID", value: (t) => shortId(t.id) },
    { header: "NAME", value: (t) => t.name, shrink: true },
    { header: "STATUS", value: (t) => t.status, style: (t) => statusStyle(t.status) },
    { header: "ATTEMPT", value: (t) => String(t.attempt), align: "right" },
    { header: "WORKER", value: (t) => t.worker ?? "-", shrink: true },
    { header: "AGE", value: (t) => age(t.created_at, now) },
    { header: "DURATION", value: (t) => runTime(t.started_at, t.finished_at, now) },
  ];
  return renderTable(tasks, columns, output.paint, output.columns);
}
