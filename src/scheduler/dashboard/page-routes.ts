/**
 * The dashboard's pages (GET): overview, task list, task detail, workers and the
 * new-task form. Each renders completely on the server; pages that update live
 * embed their stream URL with the feed position they were rendered at, taken
 * before their query so the stream replays whatever changed after.
 */
import { loadAttemptLogs } from "./attempt-logs.ts";
import { waitingReasons } from "../tasks/waiting-reasons.ts";
import { failureFacts } from "../tasks/failure-reasons.ts";
import { dbNow } from "../../db/queries/db-now.ts";
import { listFailures } from "../../db/queries/list-failures.ts";
import { groupFailures } from "../failures/group-failures.ts";
import { FAILURES_SCAN_MAX } from "../failures/model.ts";
import { FailuresPage } from "../../../views/pages/failures.tsx";
import { Elysia } from "elysia";
import { getTask } from "../../db/queries/get-task.ts";
import { getSchedule } from "../../db/queries/get-schedule.ts";
import { listTasks } from "../../db/queries/list-tasks.ts";
import { LIVE_PATHS } from "../../../views/live-events.ts";
import { NewTaskPage } from "../../../views/pages/new-task.tsx";
import { NEW_TASK_DEFAULTS } from "./task-form.ts";
import { NotFoundPage } from "../../../views/pages/not-found.tsx";
import { OverviewPage } from "../../../views/pages/overview.tsx";
import { TaskDetailPage } from "../../../views/pages/task-detail.tsx";
import { filterParams, TasksPage } from "../../../views/pages/tasks.tsx";
import { WorkersPage } from "../../../views/pages/workers.tsx";
import { encodeCursor, parseListQuery } from "../tasks/list-query.ts";
import type { DashboardContext } from "./dashboard-context.ts";
import { htmlPage } from "./html-response.ts";
import { DASHBOARD_LIST_OPTIONS, filterView } from "./task-list-live.ts";
import { isUuid } from "../../core/uuid.ts";

const hide = { detail: { hide: true } };

export function pageRoutes(ctx: DashboardContext) {
  const { live, chrome } = ctx;
  return new Elysia()
    .get(
      "/",
      async () => {
        const { data } = await live.overview.current();
        return htmlPage(OverviewPage({ data, now: new Date(), ...chrome }) as string);
      },
      hide,
    )
    .get("/tasks", ({ request }) => tasksPage(ctx, new URL(request.url).searchParams), hide)
    .get("/tasks/new", () => htmlPage(NewTaskPage({ values: NEW_TASK_DEFAULTS, now: new Date(), ...chrome }) as string), hide)
    .get("/tasks/:id", ({ params }) => taskPage(ctx, params.id), hide)
    .get("/failures", () => failuresPage(ctx), hide)
    .get(
      "/workers",
      async () => {
        const { workers, tasks } = await live.workers.current();
        return htmlPage(WorkersPage({ workers, tasks, now: new Date(), ...chrome }) as string);
      },
      hide,
    );
}

async function tasksPage({ db, live, chrome }: DashboardContext, query: URLSearchParams): Promise<Response> {
  const now = new Date();
  const checked = parseListQuery(query, DASHBOARD_LIST_OPTIONS);
  if (!checked.ok) {
    const filter = { statuses: [], queue: null, q: null, schedule: null, fromSchedule: null };
    return htmlPage(
      TasksPage({ tasks: [], filter, nextCursor: null, firstPage: true, streamUrl: null, problems: checked.problems, now, ...chrome }) as string,
      422,
    );
  }
  const f = checked.value;
  const position = live.rowsPosition();
  const [page, schedule] = await Promise.all([listTasks(db, f), f.scheduleId === null ? null : getSchedule(db, f.scheduleId)]);
  const [reasons, failures] = await Promise.all([waitingReasons(db, page.tasks), failureFacts(db, page.tasks)]);
  const filter = filterView(f);
  const cursor = f.after !== null ? query.get("cursor") : null;
  const nextCursor = page.next ? encodeCursor(page.next) : null;
  const stream = new URLSearchParams({
    ...filterParams(filter),
    ...(cursor ? { cursor } : {}),
    ...(query.has("limit") ? { limit: String(f.limit) } : {}),
    // Where older pages start: the live first page inserts only tasks newer than its last row.
    ...(nextCursor ? { oldest: nextCursor } : {}),
    after: position,
    ids: page.tasks.map((t) => t.id).join(","),
  });
  return htmlPage(
    TasksPage({
      tasks: page.tasks,
      reasons,
      failures,
      filter,
      nextCursor,
      firstPage: f.after === null,
      limit: query.has("limit") ? f.limit : null,
      streamUrl: `${LIVE_PATHS.tasks}?${stream}`,
      scheduleName: schedule?.schedule.name ?? null,
      bulkDone: bulkDoneOf(query),
      now,
      ...chrome,
    }) as string,
  );
}

/** A task's page; `notice` and `status` report a refused action on it. */
export async function taskPage(ctx: DashboardContext, id: string, notice?: string, status = 200): Promise<Response> {
  const { db, live, chrome } = ctx;
  const now = new Date();
  const position = live.position();
  const detail = isUuid(id) ? await getTask(db, id.toLowerCase()) : null;
  if (!detail) return notFoundPage(ctx, `There is no task with id ${id}.`);
  const streamUrl = `${LIVE_PATHS.task(detail.task.id)}?${new URLSearchParams({ after: position })}`;
  const logs = await loadAttemptLogs(db, detail);
  return htmlPage(TaskDetailPage({ detail, logs, now, streamUrl, notice, ...chrome }) as string, status);
}

export function notFoundPage({ chrome }: DashboardContext, message: string): Response {
  return htmlPage(NotFoundPage({ message, now: new Date(), ...chrome }) as string, 404);
}

/** What a bulk action just did, from the list URL it redirected to (a fixed sentence: the URL only picks the verb and count). */
function bulkDoneOf(query: URLSearchParams): { action: "cancel" | "retry"; changed: number } | null {
  const action = query.get("bulk");
  const changed = Number(query.get("changed"));
  if ((action !== "cancel" && action !== "retry") || !Number.isSafeInteger(changed) || changed < 0) return null;
  return { action, changed };
}

/** The last day's failures grouped as GET /api/failures groups them (the database's clock sets the window). */
async function failuresPage({ db, chrome }: DashboardContext): Promise<Response> {
  const since = new Date((await dbNow(db)).getTime() - 24 * 3600 * 1000);
  const failed = await listFailures(db, since, FAILURES_SCAN_MAX + 1);
  const read = failed.slice(0, FAILURES_SCAN_MAX);
  return htmlPage(FailuresPage({ groups: groupFailures(read), total: read.length, truncated: failed.length > FAILURES_SCAN_MAX, now: new Date(), ...chrome }) as string);
}
