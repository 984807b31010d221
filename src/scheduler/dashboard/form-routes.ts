/**
 * The dashboard's form posts: submit a task, cancel one, retry one. They call
 * the same validation and queries as the JSON API, answer a refused submit with
 * the form and its errors beside the fields (422), and otherwise redirect (303)
 * to the task's page. Cross-site posts never get here: the auth guard
 * (auth/guard.ts) refuses them for every state-changing route.
 */
import { Elysia } from "elysia";
import { ConflictError, NotFoundError } from "../../core/errors.ts";
import type { Db } from "../../db/client.ts";
import { cancelTask } from "../../db/queries/cancel-task.ts";
import { insertTasks } from "../../db/queries/insert-tasks.ts";
import { retryTask } from "../../db/queries/retry-task.ts";
import type { TaskRow } from "../../db/schema/index.ts";
import { NewTaskPage } from "../../../views/pages/new-task.tsx";
import { ConfirmCancelPage } from "../../../views/pages/confirm-cancel.tsx";
import { getTask } from "../../db/queries/get-task.ts";
import { setWorkerDraining } from "../../db/queries/set-worker-draining.ts";
import type { DashboardContext } from "./dashboard-context.ts";
import { htmlPage, seeOther } from "./html-response.ts";
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
    .post("/tasks/:id/cancel", async ({ params, request }) => (await confirmRunningCancel(ctx, params.id, request)) ?? taskAction(ctx, params.id, (db, id) => cancelTask(db, id, `cancelled by ${ACTOR}`)), options)
    .post("/workers/:id/drain", ({ params }) => workerAction(ctx, params.id, true), options)
    .post("/workers/:id/resume", ({ params }) => workerAction(ctx, params.id, false), options)
    .post("/tasks/:id/retry", ({ params }) => taskAction(ctx, params.id, (db, id) => retryTask(db, id, ACTOR)), options);
}

async function submitTask(ctx: DashboardContext, request: Request): Promise<Response> {
  const values = clipFormValues(readTaskForm(await readFormBody(request)));
  const checked = checkTaskForm(values);
  if (!checked.ok) return htmlPage(NewTaskPage({ values, errors: formErrors(checked.problems), now: new Date(), ...ctx.chrome }) as string, 422);
  // An idempotency key already used leads to the first task with it, as the API answers.
  const [result] = await insertTasks(ctx.db, [{ ...checked.value, createdBy: ACTOR }]);
  return seeOther(`/tasks/${result!.task.id}`);
}

/** Drain or resume a worker as the API does (db/queries/set-worker-draining.ts), then back to the workers page. */
async function workerAction(ctx: DashboardContext, id: string, draining: boolean): Promise<Response> {
  if (!isUuid(id)) return notFoundPage(ctx, `There is no worker with id ${id}.`);
  try {
    await setWorkerDraining(ctx.db, id.toLowerCase(), draining, `${draining ? "drained" : "resumed"} by ${ACTOR}`);
  } catch (err) {
    if (err instanceof NotFoundError || err instanceof ConflictError) return notFoundPage(ctx, err.message);
    throw err;
  }
  return seeOther(`/workers#worker-${id.toLowerCase()}`);
}

/** A running (or picked) task is cancelled only once confirmed (`confirm=1`): its attempt would be killed. */
async function confirmRunningCancel(ctx: DashboardContext, id: string, request: Request): Promise<Response | null> {
  if (!isUuid(id)) return null;
  const form = await readFormBody(request);
  if (form.get("confirm") === "1") return null;
  const task = (await getTask(ctx.db, id.toLowerCase()))?.task;
  if (!task || (task.status !== "running" && task.status !== "picked")) return null;
  return htmlPage(ConfirmCancelPage({ task, now: new Date(), ...ctx.chrome }) as string);
}

async function taskAction(ctx: DashboardContext, id: string, action: (db: Db, id: string) => Promise<TaskRow>): Promise<Response> {
  if (!isUuid(id)) return notFoundPage(ctx, `There is no task with id ${id}.`);
  try {
    await action(ctx.db, id.toLowerCase());
  } catch (err) {
    if (err instanceof ConflictError) return taskPage(ctx, id, err.message, 409);
    if (err instanceof NotFoundError) return notFoundPage(ctx, err.message);
    throw err;
  }
  return seeOther(`/tasks/${id.toLowerCase()}`);
}
