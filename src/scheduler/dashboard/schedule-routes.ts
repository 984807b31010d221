/**
 * The dashboard's schedule pages and form posts: the live list, the new-schedule
 * form, creating one, pausing and resuming. They call the same validation and
 * queries as the JSON API (schedules/routes.ts); a refused create comes back as
 * the form with each error beside its field (422), everything else redirects
 * (303) to the list, at the schedule's row. Cross-site posts never get here: the
 * auth guard (auth/guard.ts) refuses them for every state-changing route.
 */
import { Elysia } from "elysia";
import { NotFoundError } from "../../core/errors.ts";
import { insertSchedule } from "../../db/queries/insert-schedule.ts";
import { updateSchedule } from "../../db/queries/update-schedule.ts";
import { scheduleRowId } from "../../../views/fragments/schedule-rows.tsx";
import { NewSchedulePage } from "../../../views/pages/new-schedule.tsx";
import { SchedulesPage } from "../../../views/pages/schedules.tsx";
import type { DashboardContext } from "./dashboard-context.ts";
import { htmlPage, seeOther } from "./html-response.ts";
import { notFoundPage } from "./page-routes.ts";
import { checkScheduleForm, readScheduleForm, scheduleFormErrors, scheduleFormValues, NEW_SCHEDULE_DEFAULTS, type NewScheduleFormErrors, type NewScheduleFormValues } from "./schedule-form.ts";
import { deleteSchedule } from "../../db/queries/delete-schedule.ts";
import { getSchedule } from "../../db/queries/get-schedule.ts";
import { listScheduleTicks } from "../../db/queries/list-schedule-ticks.ts";
import { runScheduleNow } from "../../db/queries/run-schedule-now.ts";
import { isUuid } from "../../core/uuid.ts";
import { readFormBody } from "../request-body.ts";
import { clipFormValues } from "../echo-limit.ts";

const hide = { detail: { hide: true } };
/** Bodies are read here as form text, never by Elysia's parser. */
const post = { parse: "none" as const, detail: { hide: true } };

export function scheduleDashboardRoutes(ctx: DashboardContext) {
  const { live, chrome } = ctx;
  return new Elysia()
    .get(
      "/schedules",
      async () => {
        // The shared snapshot: a page load joins a load already under way instead of adding one.
        const { schedules } = await live.schedules.current();
        return htmlPage(SchedulesPage({ schedules, now: new Date(), ...chrome }) as string);
      },
      hide,
    )
    .get("/schedules/new", () => htmlPage(NewSchedulePage({ values: NEW_SCHEDULE_DEFAULTS, now: new Date(), ...chrome }) as string), hide)
    .post("/schedules", ({ request }) => createSchedule(ctx, request), post)
    .get("/schedules/:id", ({ params }) => withSchedule(ctx, params.id, async (id) => editPage(ctx, id)), hide)
    .post("/schedules/:id", ({ params, request }) => withSchedule(ctx, params.id, (id) => saveSchedule(ctx, id, request)), post)
    .post("/schedules/:id/run", ({ params }) => withSchedule(ctx, params.id, async (id) => seeOther(`/tasks/${(await runScheduleNow(ctx.db, id)).id}`)), post)
    .post("/schedules/:id/delete", ({ params }) => withSchedule(ctx, params.id, async (id) => (await deleteSchedule(ctx.db, id), seeOther("/schedules"))), post)
    .post("/schedules/:id/pause", ({ params }) => setPaused(ctx, params.id, true), post)
    .post("/schedules/:id/resume", ({ params }) => setPaused(ctx, params.id, false), post);
}

async function createSchedule(ctx: DashboardContext, request: Request): Promise<Response> {
  const values = clipFormValues(readScheduleForm(await readFormBody(request)));
  const checked = checkScheduleForm(values);
  if (!checked.ok) {
    return htmlPage(NewSchedulePage({ values, errors: scheduleFormErrors(checked.problems), now: new Date(), ...ctx.chrome }) as string, 422);
  }
  const { schedule } = await insertSchedule(ctx.db, checked.value);
  return seeOther(`/schedules#${scheduleRowId(schedule.id)}`);
}

/** Runs `action` for a schedule id, answering the not-found page for an id that names none. */
async function withSchedule(ctx: DashboardContext, rawId: string, action: (id: string) => Promise<Response>): Promise<Response> {
  const message = `There is no schedule with id ${rawId}.`;
  if (!isUuid(rawId)) return notFoundPage(ctx, message);
  try {
    return await action(rawId.toLowerCase());
  } catch (err) {
    if (err instanceof NotFoundError) return notFoundPage(ctx, message);
    throw err;
  }
}

async function editPage(ctx: DashboardContext, id: string, values?: NewScheduleFormValues, errors?: NewScheduleFormErrors): Promise<Response> {
  const found = await getSchedule(ctx.db, id);
  if (!found) throw new NotFoundError(`no schedule with id ${id}`);
  const editing = { id, ticks: await listScheduleTicks(ctx.db, id) };
  const page = NewSchedulePage({ values: values ?? scheduleFormValues(found.schedule), errors, editing, now: new Date(), ...ctx.chrome }) as string;
  return htmlPage(page, errors ? 422 : 200);
}

/** Saves the edit form: every field as the API's PATCH would, pausing left as it is. */
async function saveSchedule(ctx: DashboardContext, id: string, request: Request): Promise<Response> {
  const values = readScheduleForm(new URLSearchParams(await request.text()));
  const checked = checkScheduleForm(values);
  if (!checked.ok) return editPage(ctx, id, values, scheduleFormErrors(checked.problems));
  const { paused: _, ...fields } = checked.value;
  await updateSchedule(ctx.db, id, fields);
  return seeOther(`/schedules#${scheduleRowId(id)}`);
}

/** Pause or resume: the API's PATCH {paused}, with its rules (resuming never replays paused times). */
async function setPaused(ctx: DashboardContext, rawId: string, paused: boolean): Promise<Response> {
  const message = `There is no schedule with id ${rawId}.`;
  if (!isUuid(rawId)) return notFoundPage(ctx, message);
  const id = rawId.toLowerCase();
  try {
    await updateSchedule(ctx.db, id, { paused });
  } catch (err) {
    if (err instanceof NotFoundError) return notFoundPage(ctx, message);
    throw err;
  }
  return seeOther(`/schedules#${scheduleRowId(id)}`);
}
