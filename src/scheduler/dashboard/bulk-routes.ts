/**
 * Bulk cancel and retry from the dashboard: GET /tasks/bulk?action=cancel|retry&<the
 * list's filters> counts what the action would change (a dry run of the API's own
 * bulk action, tasks/bulk-actions.ts) and asks to confirm; POST /tasks/bulk does it.
 * A plain form (no JavaScript) gets the confirmation page, then goes back to the
 * list, which says how many changed; an htmx request gets the confirmation, then
 * the result, as fragments for the panel it came from.
 */
import { Elysia } from "elysia";
import { BulkConfirmPage, BulkConfirmPanel, BulkDoneNotice, type BulkVerb } from "../../../views/pages/bulk-confirm.tsx";
import { listUrl } from "../../../views/pages/tasks.tsx";
import type { BulkRequest } from "../tasks/bulk-body.ts";
import { cancelAction, retryAction, runBulkAction } from "../tasks/bulk-actions.ts";
import { parseListQuery } from "../tasks/list-query.ts";
import { readFormBody } from "../request-body.ts";
import type { DashboardContext } from "./dashboard-context.ts";
import { htmlFragment, htmlPage, isHtmxRequest, seeOther } from "./html-response.ts";
import { ActionRefused } from "../../../views/fragments/action-panel.tsx";
import { DASHBOARD_LIST_OPTIONS } from "./task-list-live.ts";

const ACTOR = "dashboard";
/** The list's parameters that select tasks; the page's size and position are not part of a bulk action. */
const FILTER_PARAMS = new Set(["status", "queue", "q", "output", "schedule_id", "schedule", "from_schedule", "worker_id", "name", "created_before", "created_after", "id_prefix"]);
const hide = { detail: { hide: true } };

export function bulkRoutes(ctx: DashboardContext) {
  return new Elysia()
    .get("/tasks/bulk", ({ request }) => confirm(ctx, new URL(request.url).searchParams, isHtmxRequest(request)), hide)
    .post("/tasks/bulk", async ({ request }) => act(ctx, await readFormBody(request), isHtmxRequest(request)), { parse: "none" as const, ...hide });
}

/** The action and its filters from a query or form, or a message saying what is wrong. */
function read(params: URLSearchParams): { action: BulkVerb; kept: [string, string][]; req: BulkRequest } | string {
  const action = params.get("action");
  if (action !== "cancel" && action !== "retry") return "action must be cancel or retry";
  const kept = [...params].filter(([name, value]) => FILTER_PARAMS.has(name) && value.trim() !== "");
  const checked = parseListQuery(new URLSearchParams(kept), DASHBOARD_LIST_OPTIONS);
  if (!checked.ok) return checked.problems.map((p) => `${p.path.slice(1)}: ${p.message}`).join("; ");
  const { limit: _limit, after: _after, ...filter } = checked.value;
  return { action, kept, req: { filter, named: null, dryRun: true } };
}

async function confirm(ctx: DashboardContext, params: URLSearchParams, htmx: boolean): Promise<Response> {
  const r = read(params);
  if (typeof r === "string") return refused(r, htmx);
  const counted = await runBulkAction(ctx.db, bulkAction(r.action), r.req);
  const panel = { action: r.action, params: r.kept, changed: counted.changed, skipped: counted.skipped, backHref: listUrl(Object.fromEntries(r.kept)) };
  if (htmx) return htmlFragment(BulkConfirmPanel(panel) as string);
  return htmlPage(BulkConfirmPage({ ...panel, now: new Date(), ...ctx.chrome }) as string);
}

async function act(ctx: DashboardContext, form: URLSearchParams, htmx: boolean): Promise<Response> {
  const r = read(form);
  if (typeof r === "string") return refused(r, htmx);
  const done = await runBulkAction(ctx.db, bulkAction(r.action), { ...r.req, dryRun: false });
  if (htmx) return htmlFragment(BulkDoneNotice({ action: r.action, changed: done.changed }) as string);
  return seeOther(listUrl({ ...Object.fromEntries(r.kept), bulk: r.action, changed: String(done.changed) }));
}

function refused(message: string, htmx: boolean): Response {
  if (htmx) return htmlFragment(ActionRefused({ message }) as string, 422);
  return htmlPage(`<!doctype html><p>${Bun.escapeHTML(message)}</p>`, 422);
}

function bulkAction(verb: BulkVerb) {
  return verb === "cancel" ? cancelAction(ACTOR) : retryAction(ACTOR);
}
