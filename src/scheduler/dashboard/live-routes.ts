/**
 * The dashboard's SSE streams, one per page kind. Each sends the same fragments
 * its page renders, as named events the page swaps in:
 * - /live/overview: one event per panel, from the shared overview snapshot;
 * - /live/workers: the workers table body, from the shared workers snapshot;
 * - /live/schedules: the schedules table body, from the shared schedules snapshot;
 * - /live/tasks?filters&ids&after: out-of-band row updates and new rows, rendered
 *   from the rows the change feed loads once for all of them (no query per client);
 * - /live/tasks/:id?after: the task's summary, timeline and attempts, loaded once
 *   per change for all its viewers.
 * Task streams carry feed positions as event ids, so a reconnect (Last-Event-ID)
 * or a freshly loaded page resumes exactly where it left off.
 */
import { coerceError } from "../../core/errors.ts";
import { Elysia } from "elysia";
import type { Db } from "../../db/client.ts";
import { listTasks } from "../../db/queries/list-tasks.ts";
import type { Logger } from "../../log/logger.ts";
import { LIVE_PATHS, SCHEDULES_EVENT, TASK_LIST_EVENT, WORKERS_EVENT } from "../../../views/live-events.ts";
import { LIST_LIMIT_MAX, parseListQuery } from "../tasks/list-query.ts";
import type { DashboardContext } from "./dashboard-context.ts";
import type { DashboardLive, FollowHandlers } from "./dashboard-live.ts";
import type { LiveSnapshot } from "./live-snapshot.ts";
import { sseResponse, type SseOptions, type SseSink } from "../live/sse-writer.ts";
import { DASHBOARD_LIST_NAMES, filterView, TaskListFollower } from "./task-list-live.ts";
import { isUuid } from "../../core/uuid.ts";

const hide = { detail: { hide: true } };

export function liveRoutes({ db, live, sseBudget }: DashboardContext) {
  const sse: SseOptions = { budget: sseBudget };
  return new Elysia()
    .get(LIVE_PATHS.overview, ({ request }) => snapshotStream(request, live.overview, (r) => Object.entries(r.events), live.log, sse), hide)
    .get(LIVE_PATHS.workers, ({ request }) => snapshotStream(request, live.workers, (r) => [[WORKERS_EVENT, r.rows]], live.log, sse), hide)
    .get(LIVE_PATHS.schedules, ({ request }) => snapshotStream(request, live.schedules, (r) => [[SCHEDULES_EVENT, r.rows]], live.log, sse), hide)
    .get(LIVE_PATHS.tasks, ({ request }) => taskListStream(request, db, live, sse), hide)
    .get("/live/tasks/:id", ({ request, params }) => taskStream(request, live, params.id, sse), hide);
}

/** Sends a snapshot's events now and whenever it changes, skipping fragments identical to the last sent. */
function snapshotStream<T>(request: Request, snapshot: LiveSnapshot<T>, events: (value: T) => [string, string][], log: Logger, sse: SseOptions): Response {
  return sseResponse((sink) => {
    const send = sender(sink);
    const publish = (value: T) => {
      for (const [event, html] of events(value)) send(event, html);
    };
    const off = snapshot.subscribe(publish);
    snapshot.latest().then(publish, (err) => log.warn("dashboard stream could not load its first update: {error}", { error: coerceError(err).message }));
    return off;
  }, { ...sse, signal: request.signal, log });
}

function taskListStream(request: Request, db: Db, live: DashboardLive, sse: SseOptions): Response {
  const params = new URL(request.url).searchParams;
  const checked = parseListQuery(params, DASHBOARD_LIST_NAMES);
  if (!checked.ok) return new Response("bad task list filters", { status: 422 });
  const f = checked.value;
  const ids = (params.get("ids") ?? "").split(",").filter(isUuid).slice(0, LIST_LIMIT_MAX);
  // After a reconnect, rows inserted over the lost connection are unknown here: start over from the database.
  const from = request.headers.get("last-event-id") === null ? params.get("after") : null;
  return sseResponse((sink) => {
    const filter = filterView(f);
    const follower = new TaskListFollower(filter, f.after === null, ids, { row: (b, t, oob) => live.taskRow(b, t, oob) });
    const serial = serialQueue(live.log);
    const handlers: FollowHandlers = {
      batch: (b) =>
        serial(async () => {
          const html = follower.onBatch(b);
          if (html !== "") sink.send(TASK_LIST_EVENT, html, live.position(b.seq));
        }),
      resync: () => {
        const seq = live.feed.lastSeq;
        serial(async () => {
          const page = await listTasks(db, f);
          sink.send(TASK_LIST_EVENT, follower.resync(page.tasks, new Date()), live.position(seq));
        });
      },
    };
    // The rows to render come with each batch: the feed loads them once for every open list.
    return live.follow(from, handlers, { rows: true });
  }, { ...sse, signal: request.signal, log: live.log });
}

function taskStream(request: Request, live: DashboardLive, rawId: string, sse: SseOptions): Response {
  if (!isUuid(rawId)) return new Response("no such task", { status: 404 });
  const id = rawId.toLowerCase();
  const from = request.headers.get("last-event-id") ?? new URL(request.url).searchParams.get("after");
  return sseResponse((sink) => {
    const send = sender(sink);
    const serial = serialQueue(live.log);
    const push = (seq: number) =>
      serial(async () => {
        const rendered = await live.tasks.get(id, seq);
        for (const [event, html] of Object.entries(rendered.events)) send(event, html, live.position(seq));
      });
    return live.follow(from, {
      batch: (b) => {
        if (b.taskChanges.some((c) => c.id === id)) push(b.seq);
      },
      resync: () => push(live.feed.lastSeq),
    });
  }, { ...sse, signal: request.signal, log: live.log });
}

/** Sends an event unless this stream already sent the same fragment for it. */
function sender(sink: SseSink) {
  const last = new Map<string, string>();
  return (event: string, html: string, id?: string) => {
    if (last.get(event) === html) return;
    last.set(event, html);
    sink.send(event, html, id);
  };
}

/** Runs async steps one after another, so a stream's events keep the feed's order. */
function serialQueue(log: Logger) {
  let tail = Promise.resolve();
  return (step: () => Promise<void>) => {
    tail = tail.then(step).catch((err) => log.warn("dashboard stream update failed: {error}", { error: coerceError(err).message }));
  };
}
