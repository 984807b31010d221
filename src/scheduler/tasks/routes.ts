/**
 * The task API (SPEC §3): submit one or a batch, list, read one with its
 * history, cancel, retry. Handlers check input, call one query function each
 * and shape the answer; every error goes through http-errors.ts.
 *
 * Idempotency in a batch: an item whose key is already known answers the
 * existing task in its place, and an item repeating a key used earlier in the
 * same batch answers the task made for that earlier item, exactly as if the
 * items had been sent one by one. The batch still answers 201.
 */
import { Type } from "@sinclair/typebox";
import { Elysia } from "elysia";
import { NotFoundError, ValidationError } from "../../core/errors.ts";
import type { Db } from "../../db/client.ts";
import type { Logger } from "../../log/logger.ts";
import { cancelTask } from "../../db/queries/cancel-task.ts";
import { getTask } from "../../db/queries/get-task.ts";
import type { NewTask } from "../../db/queries/insert-tasks.ts";
import { listTasks } from "../../db/queries/list-tasks.ts";
import { retryTask } from "../../db/queries/retry-task.ts";
import { errorAnswer, jsonAnswer, jsonBody, queryParameters } from "../openapi/route-docs.ts";
import { readJsonBody } from "../request-body.ts";
import { PREFERENCE_APPLIED, prefersMinimal, RETURN_MINIMAL } from "../prefer-header.ts";
import { encodeCursor, parseListQuery } from "./list-query.ts";
import { TaskListQuery } from "./list-query-schema.ts";
import { BATCH_MAX_TASKS, NewTaskBody, TaskBatchBody, TaskBatchIdsJsonSchema, TaskBatchJsonSchema, TaskDetailJsonSchema, TaskJsonSchema, TaskListJsonSchema } from "./model.ts";
import { taskDetailJson, taskJson } from "./task-json.ts";
import { SubmitCoalescer } from "./submit-coalescer.ts";
import { validateNewTask, validateTaskBatch, type Checked } from "./validate-task.ts";
import { plural } from "../../core/plural.ts";
import { isUuid } from "../../core/uuid.ts";
import { waitingReasons } from "./waiting-reasons.ts";
import { failureFacts } from "./failure-reasons.ts";
import { BulkActionBody, BulkActionJsonSchema, validateBulkBody } from "./bulk-body.ts";
import { cancelAction, retryAction, runBulkAction } from "./bulk-actions.ts";
import { placeFanouts } from "./fanout-placement.ts";
import type { SubmitWake } from "../../core/submit-wake.ts";
import type { Executor } from "../../db/sql.ts";
import { submitInsert } from "./local-submit.ts";

const tags = ["tasks"];
/** Bodies are read by readJsonBody (size cap, JSON only), never by Elysia's parser. */
const parse = "none" as const;
/** Documented, not enforced (openapi/route-docs.ts); what every route of its kind answers (401, 404, 503, body errors) openapi/routes.ts adds. */
const answers = {
  created: { 201: jsonAnswer("the new task", TaskJsonSchema), 200: jsonAnswer("the task made earlier with this idempotency key", TaskJsonSchema) },
  batch: {
    201: {
      ...jsonAnswer("the tasks in the order sent (a known idempotency key answers the existing task); with `Prefer: return=minimal`, only their ids", Type.Union([TaskBatchJsonSchema, TaskBatchIdsJsonSchema])),
      headers: { "Preference-Applied": { description: "`return=minimal` when the answer lists only ids", schema: { type: "string" as const } } },
    },
  },
  list: { 200: jsonAnswer("a page of tasks, newest first", TaskListJsonSchema), 422: errorAnswer("a query parameter is invalid, each named in details") },
  detail: { 200: jsonAnswer("the task with its attempts and events", TaskDetailJsonSchema) },
  cancelled: { 200: jsonAnswer("the task, cancelled", TaskJsonSchema), 409: errorAnswer("the task has already finished") },
  retried: { 200: jsonAnswer("the task, scheduled to run now", TaskJsonSchema), 409: errorAnswer("the task has neither failed nor been cancelled") },
  bulk: { 200: jsonAnswer("how many tasks changed (or, with dry_run, would change) and how many were skipped", BulkActionJsonSchema) },
};

/**
 * A batch's answer lists every task in full (SPEC §3); a client that needs only the ids
 * (a script, a bulk loader) asks for them alone, which spares both sides most of the
 * JSON: ~40 bytes a task instead of ~750.
 */
const PREFER_MINIMAL = {
  name: "Prefer",
  in: "header" as const,
  required: false,
  description: "`return=minimal` (RFC 7240): answer `{ids: [...]}` instead of every task in full",
  schema: { type: "string" as const },
};

/**
 * Concurrent single submissions without a key share an insert (submit-coalescer.ts); at most
 * this many inserts at once, leaving most of the pool (10) to the change feed, dashboards and reads.
 */
const SUBMIT_INSERTS_IN_FLIGHT = 4;

/** Who acted, as the task's events record it: a call to this API (bearer token or session cookie). */
const ACTOR = "api";

/** `submits`: this process's coordinator, if any, which claims at once (local-submit.ts, core/submit-wake.ts). */
export function taskRoutes(db: Db, log: Logger, submits: SubmitWake<Executor> | null = null) {
  const insert = submitInsert(db, submits);
  const coalescer = new SubmitCoalescer(insert, { maxInFlight: SUBMIT_INSERTS_IN_FLIGHT, maxBatch: BATCH_MAX_TASKS });
  // Keyed submissions and dependent ones keep their own transaction: the idempotency read-back is per key,
  // and a missing dependency must fail only its own request.
  const submit = async (task: NewTask) =>
    task.idempotencyKey === null && !task.dependsOn?.length && !task.fanout ? coalescer.submit(task) : (await insert(await placeFanouts(db, [task])))[0]!;
  return new Elysia({ name: "tasks", prefix: "/api/tasks" })
    .post(
      "",
      async ({ request, set }) => {
        const result = await submit({ ...valid(validateNewTask(await readJsonBody(request))), createdBy: ACTOR });
        set.status = result.created ? 201 : 200;
        const t = result.task;
        if (result.created) log.info("task {taskId} submitted ({name}, queue {queue}, run at {runAt})", { taskId: t.id, name: t.name, queue: t.queue, runAt: t.runAt.toISOString() });
        return taskJson(t);
      },
      { parse, detail: { summary: "Submit a task (200 with the earlier task when the idempotency key is known)", tags, requestBody: jsonBody(NewTaskBody), responses: answers.created } },
    )
    .post(
      "/batch",
      async ({ request, set }) => {
        const minimal = prefersMinimal(request);
        const checked = valid(validateTaskBatch(await readJsonBody(request)));
        // The validator's fresh objects, set in place: a copy of each would cost more than the rest of the loop.
        for (const t of checked) t.createdBy = ACTOR;
        const results = await insert(await placeFanouts(db, checked, true));
        set.status = 201;
        const created = results.filter((r) => r.created);
        log.info("{tasks} submitted in a batch ({first} … {last})", { n: created.length, tasks: plural(created.length, "task"), first: created[0]?.task.id ?? "-", last: created.at(-1)?.task.id ?? "-" });
        // Checked once: 1000 calls that each find debug off cost more than the check.
        if (log.isEnabledFor("debug")) for (const r of created) log.debug("task {taskId} submitted ({name}, queue {queue})", { taskId: r.task.id, name: r.task.name, queue: r.task.queue });
        if (!minimal) return { tasks: results.map((r) => taskJson(r.task)) };
        set.headers[PREFERENCE_APPLIED] = RETURN_MINIMAL;
        return { ids: results.map((r) => r.task.id) };
      },
      { parse, detail: { summary: "Submit up to 1000 tasks, all or nothing", tags, parameters: [PREFER_MINIMAL], requestBody: jsonBody(TaskBatchBody), responses: answers.batch } },
    )
    .post(
      "/cancel",
      async ({ request }) => {
        const r = await runBulkAction(db, cancelAction(ACTOR), valid(validateBulkBody(await readJsonBody(request))));
        if (!r.dry_run) log.info("{tasks} cancelled by a user in bulk ({skipped} skipped)", { n: r.changed, tasks: plural(r.changed, "task"), skipped: r.skipped });
        return r;
      },
      { parse, detail: { summary: "Cancel many tasks: a list of ids or the list's filters; running attempts are killed", tags, requestBody: jsonBody(BulkActionBody), responses: answers.bulk } },
    )
    .post(
      "/retry",
      async ({ request }) => {
        const r = await runBulkAction(db, retryAction(ACTOR), valid(validateBulkBody(await readJsonBody(request))));
        if (!r.dry_run) log.info("{tasks} retried by a user in bulk ({skipped} skipped)", { n: r.changed, tasks: plural(r.changed, "task"), skipped: r.skipped });
        return r;
      },
      { parse, detail: { summary: "Retry many failed or cancelled tasks (each with a fresh retry budget): a list of ids or the list's filters", tags, requestBody: jsonBody(BulkActionBody), responses: answers.bulk } },
    )
    .get(
      "",
      async ({ request }) => {
        const page = await listTasks(db, valid(parseListQuery(new URL(request.url).searchParams)));
        const [reasons, failures] = await Promise.all([waitingReasons(db, page.tasks), failureFacts(db, page.tasks)]);
        return { tasks: page.tasks.map((t) => taskJson(t, reasons.get(t.id) ?? null, failures.get(t.id) ?? null)), next_cursor: page.next ? encodeCursor(page.next) : null };
      },
      { detail: { summary: "List tasks newest first, filtered and paginated", tags, parameters: queryParameters(TaskListQuery), responses: answers.list } },
    )
    .get(
      "/:id",
      async ({ params }) => {
        const detail = isUuid(params.id) ? await getTask(db, params.id.toLowerCase()) : null;
        if (!detail) throw new NotFoundError(`no task with id ${params.id}`);
        return taskDetailJson(detail);
      },
      { detail: { summary: "A task with its attempts and events", tags, responses: answers.detail } },
    )
    .post("/:id/cancel", async ({ params }) => {
      const t = await cancelTask(db, taskId(params.id), `cancelled by ${ACTOR}`);
      log.info("task {taskId} cancelled by a user (attempt {attempt})", { taskId: t.id, attempt: t.attempt, worker: t.worker });
      return taskJson(t);
    }, {
      parse,
      detail: { summary: "Cancel a task; a running attempt is killed", tags, responses: answers.cancelled },
    })
    .post("/:id/retry", async ({ params }) => {
      const t = await retryTask(db, taskId(params.id), ACTOR);
      log.info("task {taskId} retried by a user (next attempt {attempt})", { taskId: t.id, attempt: t.attempt + 1 });
      return taskJson(t);
    }, {
      parse,
      detail: { summary: "Run a failed or cancelled task again now", tags, responses: answers.retried },
    });
}

/** The checked value, or a ValidationError (422) listing every problem. */
function valid<T>(checked: Checked<T>): T {
  if (checked.ok) return checked.value;
  throw new ValidationError("the request has invalid fields", checked.problems);
}

/** Ids that are not UUIDs name no task (404), rather than reaching PostgreSQL's uuid parser. */
function taskId(id: string): string {
  if (!isUuid(id)) throw new NotFoundError(`no task with id ${id}`);
  return id.toLowerCase();
}
