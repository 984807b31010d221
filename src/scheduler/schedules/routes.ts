/**
 * The schedule API (SPEC §3): create, list, read, edit (pause and resume
 * included) and delete recurring tasks. Handlers check input, call one query
 * function each and shape the answer; errors go through http-errors.ts.
 */
import { Elysia } from "elysia";
import { NotFoundError, ValidationError } from "../../core/errors.ts";
import type { Db } from "../../db/client.ts";
import { deleteSchedule } from "../../db/queries/delete-schedule.ts";
import { insertSchedule } from "../../db/queries/insert-schedule.ts";
import { getSchedule } from "../../db/queries/get-schedule.ts";
import { listSchedules } from "../../db/queries/list-schedules.ts";
import { updateSchedule } from "../../db/queries/update-schedule.ts";
import { jsonAnswer, jsonBody } from "../openapi/route-docs.ts";
import { readJsonBody } from "../request-body.ts";
import type { Checked } from "../tasks/validate-task.ts";
import { NewScheduleBody, ScheduleJsonSchema, ScheduleListJsonSchema, SchedulePatchBody, ScheduleTickListJsonSchema } from "./model.ts";
import { scheduleJson, tickJson } from "./schedule-json.ts";
import { runScheduleNow } from "../../db/queries/run-schedule-now.ts";
import { listScheduleTicks, SCHEDULE_TICKS_SHOWN } from "../../db/queries/list-schedule-ticks.ts";
import type { Logger } from "../../log/logger.ts";
import { TaskJsonSchema } from "../tasks/model.ts";
import { taskJson } from "../tasks/task-json.ts";
import { validateNewSchedule, validateSchedulePatch } from "./validate-schedule.ts";
import { isUuid } from "../../core/uuid.ts";

const tags = ["schedules"];
/** Bodies are read by readJsonBody (size cap, JSON only), never by Elysia's parser. */
const parse = "none" as const;
/** Documented, not enforced (openapi/route-docs.ts); what every route of its kind answers (401, 404, 503, body errors) openapi/routes.ts adds. */
const answers = {
  created: { 201: jsonAnswer("the new schedule", ScheduleJsonSchema) },
  list: { 200: jsonAnswer("every schedule, by name", ScheduleListJsonSchema) },
  one: { 200: jsonAnswer("the schedule", ScheduleJsonSchema) },
  edited: { 200: jsonAnswer("the schedule as edited", ScheduleJsonSchema) },
  deleted: { 200: jsonAnswer("the schedule as it was", ScheduleJsonSchema) },
  ran: { 201: jsonAnswer("the task made", TaskJsonSchema) },
  ticks: { 200: jsonAnswer("the schedule's recent ticks", ScheduleTickListJsonSchema) },
};

export function scheduleRoutes(db: Db, log: Logger) {
  return new Elysia({ name: "schedules", prefix: "/api/schedules" })
    .post(
      "",
      async ({ request, set }) => {
        const { schedule, now } = await insertSchedule(db, valid(validateNewSchedule(await readJsonBody(request))));
        set.status = 201;
        return scheduleJson(schedule, now);
      },
      { parse, detail: { summary: "Create a recurring task: a cron expression in a time zone plus a task template", tags, requestBody: jsonBody(NewScheduleBody), responses: answers.created } },
    )
    .get(
      "",
      async () => {
        const { schedules, now } = await listSchedules(db);
        return { schedules: schedules.map((s) => scheduleJson(s, now)) };
      },
      { detail: { summary: "Every schedule by name, with its next runs and its last task's status", tags, responses: answers.list } },
    )
    .get(
      "/:id",
      async ({ params }) => {
        const found = await getSchedule(db, scheduleId(params.id));
        if (!found) throw new NotFoundError(`no schedule with id ${params.id}`);
        return scheduleJson(found.schedule, found.now);
      },
      { detail: { summary: "A schedule with its next runs and its last task's status", tags, responses: answers.one } },
    )
    .patch(
      "/:id",
      async ({ params, request }) => {
        const id = scheduleId(params.id);
        const { schedule, now } = await updateSchedule(db, id, valid(validateSchedulePatch(await readJsonBody(request))));
        return scheduleJson(schedule, now);
      },
      { parse, detail: { summary: "Edit a schedule; {paused: true|false} pauses or resumes it (paused times are not replayed)", tags, requestBody: jsonBody(SchedulePatchBody), responses: answers.edited } },
    )
    .post(
      "/:id/run",
      async ({ params, set }) => {
        const task = await runScheduleNow(db, scheduleId(params.id));
        log.info("schedule {scheduleId} run now by a user: task {taskId}", { scheduleId: params.id, taskId: task.id });
        set.status = 201;
        return taskJson(task);
      },
      { parse, detail: { summary: "Run the schedule now, outside its cron (recorded as manual in its history; overlap does not apply)", tags, responses: answers.ran } },
    )
    .get(
      "/:id/ticks",
      async ({ params }) => {
        const id = scheduleId(params.id);
        if (!(await getSchedule(db, id))) throw new NotFoundError(`no schedule with id ${params.id}`);
        return { ticks: (await listScheduleTicks(db, id)).map(tickJson) };
      },
      { detail: { summary: `The schedule's last ${SCHEDULE_TICKS_SHOWN} ticks, newest first: tasks made, queued, replaced, skipped, run now`, tags, responses: answers.ticks } },
    )
    .delete(
      "/:id",
      async ({ params }) => {
        const { schedule, now } = await deleteSchedule(db, scheduleId(params.id));
        return scheduleJson(schedule, now);
      },
      { parse, detail: { summary: "Delete a schedule (the tasks it made stay); answers it as it was", tags, responses: answers.deleted } },
    );
}

function valid<T>(checked: Checked<T>): T {
  if (checked.ok) return checked.value;
  throw new ValidationError("the request has invalid fields", checked.problems);
}

/** Ids that are not UUIDs name no schedule (404), rather than reaching PostgreSQL's uuid parser. */
function scheduleId(id: string): string {
  if (!isUuid(id)) throw new NotFoundError(`no schedule with id ${id}`);
  return id.toLowerCase();
}
