/**
 * The dashboard's form posts: submit a task, cancel one, retry one. They call
 * the same validation and queries as the JSON API, answer a refused submit with
 * the form and its errors beside the fields (422), and otherwise redirect (303)
 * to the task's page. Cancel, retry, drain and resume posted by htmx (HX-Request)
 * get fragments instead: the confirmation or the result, for the panel they came from. Cross-site posts never get here: the auth guard
 * (auth/guard.ts) refuses them for every state-changing route.
 */
import { Elysia } from "elysia";
import { ConflictError, NotFoundError } from "../../core/errors.ts";
import type { Db } from "../../db/client.ts";
import { cancelTask } from "../../db/queries/cancel-task.ts";
import { insertTasks } from "../../db/queries/insert-tasks.ts";
import { retryTask } from "../../db/queries/retry-task.ts";
import type { TaskRow, WorkerRow } from "../../db/schema/index.ts";
import { NewTaskPage } from "../../../views/pages/new-task.tsx";
import { ConfirmCancelPage, ConfirmCancelPanel } from "../../../views/pages/confirm-cancel.tsx";
import { ActionDone, ActionRefused } from "../../../views/fragments/action-panel.tsx";
import { WorkerRowView } from "../../../views/fragments/worker-rows.tsx";
import { listWorkerTasks } from "../../db/queries/list-worker-tasks.ts";
import { plural } from "../../core/plural.ts";
import { getTask } from "../../db/queries/get-task.ts";
import { setWorkerDraining } from "../../db/queries/set-worker-draining.ts";
import type { DashboardContext } from "./dashboard-context.ts";
import { htmlFragment, htmlPage, isHtmxRequest, seeOther } from "./html-response.ts";
import { notFoundPage, taskPage } from "./page-routes.ts";
import { checkTaskForm, formErrors, readTaskForm } from "./task-form.ts";
import { isUuid } from "../../core/uuid.ts";
import { readFormBody } from "../request-body.ts";
import { clipFormValues } from "../echo-limit.ts";

/** Who acted, as the task's events record it. */
const ACTOR = "dashboard";
/** Bodies are read here as form text, never by Elysia's parser. */
const options = { parse: "none" as const, detail: { hide: true } };

export function formRoutes(ctx: DashboardContext) {
  return new Elysia()
    .post("/tasks", async ({ request }) => submitTask(ctx, request), options)
    .post("/tasks/:id/cancel", ({ params, request }) => cancelFromForm(ctx, params.id, request), options)
    .post("/workers/:id/drain", ({ params, request }) => workerAction(ctx, params.id, true, isHtmxRequest(request)), options)
    .post("/workers/:id/resume", ({ params, request }) => workerAction(ctx, params.id, false, isHtmxRequest(request)), options)
    .post("/tasks/:id/retry", ({ params, request }) => taskAction(ctx, params.id, retryTaskAction, isHtmxRequest(request)), options);
}

async function submitTask(ctx: DashboardContext, request: Request): Promise<Response> {
  const values = clipFormValues(readTaskForm(await readFormBody(request)));
  const checked = checkTaskForm(values);
  if (!checked.ok) return htmlPage(NewTaskPage({ values, errors: formErrors(checked.problems), now: new Date(), ...ctx.chrome }) as string, 422);
  // An idempotency key already used leads to the first task with it, as the API answers.
  const [result] = await insertTasks(ctx.db, [{ ...checked.value, createdBy: ACTOR }]);
  return seeOther(`/tasks/${result!.task.id}`);
}

/** What a task action does and how its result reads. */
interface TaskAction {
  run(db: Db, id: string): Promise<TaskRow>;
  done(task: TaskRow): string;
}

const cancelTaskAction: TaskAction = {
  run: (db, id) => cancelTask(db, id, `cancelled by ${ACTOR}`),
  done: (t) => `Cancelled ${t.name}.`,
};

const retryTaskAction: TaskAction = {
  run: (db, id) => retryTask(db, id, ACTOR),
  done: (t) => `Retried ${t.name}: manual retry #${t.manualRetries}, a fresh budget of ${plural(t.maxRetries + 1, "attempt")}.`,
};

async function cancelFromForm(ctx: DashboardContext, id: string, request: Request): Promise<Response> {
  const htmx = isHtmxRequest(request);
  return (await confirmRunningCancel(ctx, id, request, htmx)) ?? taskAction(ctx, id, cancelTaskAction, htmx);
}

/**
 * Drain or resume a worker as the API does (db/queries/set-worker-draining.ts): a
 * plain form goes back to the workers page; htmx gets the result for the notice
 * above the table, and the worker's new row (the stream would bring it a moment later).
 */
async function workerAction(ctx: DashboardContext, id: string, draining: boolean, htmx: boolean): Promise<Response> {
  if (!isUuid(id)) return missing(ctx, `There is no worker with id ${id}.`, htmx);
  let worker: WorkerRow;
  try {
    worker = await setWorkerDraining(ctx.db, id.toLowerCase(), draining, `${draining ? "drained" : "resumed"} by ${ACTOR}`);
  } catch (err) {
    if (err instanceof NotFoundError) return missing(ctx, err.message, htmx);
    if (err instanceof ConflictError) return htmx ? htmlFragment(ActionRefused({ message: err.message }) as string, 409) : notFoundPage(ctx, err.message);
    throw err;
  }
  if (!htmx) return seeOther(`/workers#worker-${worker.id}`);
  const tasks = (await listWorkerTasks(ctx.db, [worker.id])).get(worker.id) ?? [];
  const message = draining ? `${worker.name} is draining: it takes no new tasks, and its running tasks finish.` : `${worker.name} takes tasks again.`;
  const row = WorkerRowView({ worker, now: new Date(), tasks, oob: true }) as string;
  // A row cannot stand alone in a fragment: htmx takes out-of-band rows from a template.
  return htmlFragment(`${ActionDone({ message }) as string}<template>${row}</template>`);
}

/** A running (or picked) task is cancelled only once confirmed (`confirm=1`): its attempt would be killed. */
async function confirmRunningCancel(ctx: DashboardContext, id: string, request: Request, htmx: boolean): Promise<Response | null> {
  if (!isUuid(id)) return null;
  const form = await readFormBody(request);
  if (form.get("confirm") === "1") return null;
  const task = (await getTask(ctx.db, id.toLowerCase()))?.task;
  if (!task || (task.status !== "running" && task.status !== "picked")) return null;
  if (htmx) return htmlFragment(ConfirmCancelPanel({ task }) as string);
  return htmlPage(ConfirmCancelPage({ task, now: new Date(), ...ctx.chrome }) as string);
}

/** Runs a task action: a plain form goes back to the task's page; htmx gets the result for the page's action panel. */
async function taskAction(ctx: DashboardContext, id: string, action: TaskAction, htmx: boolean): Promise<Response> {
  if (!isUuid(id)) return missing(ctx, `There is no task with id ${id}.`, htmx);
  let task: TaskRow;
  try {
    task = await action.run(ctx.db, id.toLowerCase());
  } catch (err) {
    if (err instanceof ConflictError) return htmx ? htmlFragment(ActionRefused({ message: err.message }) as string, 409) : taskPage(ctx, id, err.message, 409);
    if (err instanceof NotFoundError) return missing(ctx, err.message, htmx);
    throw err;
  }
  return htmx ? htmlFragment(ActionDone({ message: action.done(task) }) as string) : seeOther(`/tasks/${task.id}`);
}

function missing(ctx: DashboardContext, message: string, htmx: boolean): Response {
  return htmx ? htmlFragment(ActionRefused({ message }) as string, 404) : notFoundPage(ctx, message);
}
