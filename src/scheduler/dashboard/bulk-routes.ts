/**
 * Bulk cancel and retry from the dashboard, as plain forms (no JavaScript needed):
 * GET /tasks/bulk?action=cancel|retry&<the list's filters> counts what the action
 * would change (a dry run of the API's own bulk action, tasks/bulk-actions.ts) and
 * asks to confirm; POST /tasks/bulk does it and goes back to the list, which says
 * how many changed.
 */
import { Elysia } from "elysia";
import { BulkConfirmPage, type BulkVerb } from "../../../views/pages/bulk-confirm.tsx";
import { listUrl } from "../../../views/pages/tasks.tsx";
import type { BulkRequest } from "../tasks/bulk-body.ts";
import { cancelAction, retryAction, runBulkAction } from "../tasks/bulk-actions.ts";
import { parseListQuery } from "../tasks/list-query.ts";
import { readFormBody } from "../request-body.ts";
import type { DashboardContext } from "./dashboard-context.ts";
import { htmlPage, seeOther } from "./html-response.ts";
import { DASHBOARD_LIST_OPTIONS } from "./task-list-live.ts";

const ACTOR = "dashboard";
/** The list's parameters that select tasks; the page's size and position are not part of a bulk action. */
const FILTER_PARAMS = new Set(["status", "queue", "q", "output", "schedule_id", "schedule", "from_schedule", "worker_id", "name", "created_before", "created_after", "id_prefix"]);
const hide = { detail: { hide: true } };

export function bulkRoutes(ctx: DashboardContext) {
  return new Elysia()
    .get("/tasks/bulk", ({ request }) => confirm(ctx, new URL(request.url).searchParams), hide)
    .post("/tasks/bulk", async ({ request }) => act(ctx, await readFormBody(request)), { parse: "none" as const, ...hide });
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

async function confirm(ctx: DashboardContext, params: URLSearchParams): Promise<Response> {
  const r = read(params);
  if (typeof r === "string") return htmlPage(`<!doctype html><p>${Bun.escapeHTML(r)}</p>`, 422);
  const counted = await runBulkAction(ctx.db, bulkAction(r.action), r.req);
  return htmlPage(
    BulkConfirmPage({ action: r.action, params: r.kept, changed: counted.changed, skipped: counted.skipped, backHref: listUrl(Object.fromEntries(r.kept)), now: new Date(), ...ctx.chrome }) as string,
  );
}

async function act(ctx: DashboardContext, form: URLSearchParams): Promise<Response> {
  const r = read(form);
  if (typeof r === "string") return htmlPage(`<!doctype html><p>${Bun.escapeHTML(r)}</p>`, 422);
  const done = await runBulkAction(ctx.db, bulkAction(r.action), { ...r.req, dryRun: false });
  return seeOther(listUrl({ ...Object.fromEntries(r.kept), bulk: r.action, changed: String(done.changed) }));
}

function bulkAction(verb: BulkVerb) {
  return verb === "cancel" ? cancelAction(ACTOR) : retryAction(ACTOR);
}
