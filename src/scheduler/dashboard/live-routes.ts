/**
 * The dashboard's SSE streams, one per page kind. Each sends the same fragments
 * its page renders, as named events the page swaps in:
 * - /live/overview: one event per panel, from the shared overview snapshot;
 * - /live/workers: the workers table body, from the shared workers snapshot;
 * - /live/schedules: the schedules table body, from the shared schedules snapshot;
 * - /live/tasks?filters&ids&after: out-of-band row updates and new rows, rendered
 *   from the rows the change feed loads once for all of them (no query per client);
 * - /live/tasks/:id?after: the task's summary, timeline and attempts, loaded once
 *   per change for all its viewers, and again when an attempt ends without a
 *   change of its task (the kill after a cancel);
 * - /live/tasks/:id/attempts/:n/log?offset: one attempt's output as HTML pieces,
 *   from the offset its page was rendered up to, until the attempt ends.
 * Task streams carry feed positions as event ids, so a reconnect (Last-Event-ID)
 * or a freshly loaded page resumes exactly where it left off.
 */
import { coerceError } from "../../core/errors.ts";
import { Elysia } from "elysia";
import type { Db } from "../../db/client.ts";
import { listTasks } from "../../db/queries/list-tasks.ts";
import type { Logger } from "../../log/logger.ts";
import { LIVE_PATHS, LOG_EVENTS, SCHEDULES_EVENT, TASK_LIST_EVENT, WORKERS_EVENT } from "../../../views/live-events.ts";
import { decodeCursor, encodeCursor, LIST_LIMIT_MAX, parseListQuery } from "../tasks/list-query.ts";
import { filterParams, listUrl } from "../../../views/pages/tasks.tsx";
import type { DashboardContext } from "./dashboard-context.ts";
import type { DashboardLive, FollowHandlers } from "./dashboard-live.ts";
import type { LiveSnapshot } from "./live-snapshot.ts";
import { sseResponse, type SseOptions, type SseSink } from "../live/sse-writer.ts";
import { DASHBOARD_LIST_OPTIONS, filterView, TaskListFollower } from "./task-list-live.ts";
import { isUuid } from "../../core/uuid.ts";
import type { OutputFeed } from "../live/output-feed.ts";
import { followLogResponse, type LogEvents, type LogFollowDeps } from "../logs/log-follow.ts";
import { LogHtml } from "./attempt-logs.ts";
import { failureFacts } from "../tasks/failure-reasons.ts";
import { waitingReasons } from "../tasks/waiting-reasons.ts";

const hide = { detail: { hide: true } };

export function liveRoutes({ db, live, sseBudget, outputs }: DashboardContext) {
  const sse: SseOptions = { budget: sseBudget };
  return new Elysia()
    .get(LIVE_PATHS.overview, ({ request }) => snapshotStream(request, live.overview, (r) => Object.entries(r.events), live.log, sse), hide)
    .get(LIVE_PATHS.workers, ({ request }) => snapshotStream(request, live.workers, (r) => [[WORKERS_EVENT, r.rows]], live.log, sse), hide)
    .get(LIVE_PATHS.schedules, ({ request }) => snapshotStream(request, live.schedules, (r) => [[SCHEDULES_EVENT, r.rows]], live.log, sse), hide)
    .get(LIVE_PATHS.tasks, ({ request }) => taskListStream(request, db, live, sse), hide)
    .get("/live/tasks/:id", ({ request, params }) => taskStream(request, live, outputs, params.id, sse), hide)
    .get("/live/tasks/:id/attempts/:n/log", ({ request, params }) => attemptLogStream(request, { db, feed: live.feed, outputs, log: live.log, budget: sseBudget }, params.id, params.n), hide);
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
  const checked = parseListQuery(params, DASHBOARD_LIST_OPTIONS);
  if (!checked.ok) return new Response("bad task list filters", { status: 422 });
  const f = checked.value;
  const ids = (params.get("ids") ?? "").split(",").filter(isUuid).slice(0, LIST_LIMIT_MAX);
  // The page's next cursor: tasks older than its last row belong to older pages.
  const oldestText = params.get("oldest");
  const oldestPosition = oldestText === null ? null : decodeCursor(oldestText);
  const oldest = oldestPosition === null ? null : { createdAt: new Date(`${oldestPosition.createdAt}Z`), seq: oldestPosition.seq };
  const limitChosen = params.has("limit");
  // After a reconnect, rows inserted over the lost connection are unknown here: start over from the database.
  const from = request.headers.get("last-event-id") === null ? params.get("after") : null;
  return sseResponse((sink) => {
    const filter = filterView(f);
    const follower = new TaskListFollower(
      filter,
      { firstPage: f.after === null, limit: f.limit },
      { shownIds: ids, oldest },
      { row: (b, t, oob, left) => live.taskRow(b, t, oob, left) },
    );
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
          const [reasons, failures] = await Promise.all([waitingReasons(db, page.tasks), failureFacts(db, page.tasks)]);
          const base = { ...filterParams(filter), ...(limitChosen ? { limit: String(f.limit) } : {}) };
          const pager = { firstPage: f.after === null, newestHref: listUrl(base), olderHref: page.next ? listUrl({ ...base, cursor: encodeCursor(page.next) }) : null };
          sink.send(TASK_LIST_EVENT, follower.resync(page.tasks, pager, new Date(), { reasons, failures }), live.position(seq));
        });
      },
    };
    // The rows to render come with each batch: the feed loads them once for every open list.
    return live.follow(from, handlers, { rows: true });
  }, { ...sse, signal: request.signal, log: live.log });
}

function taskStream(request: Request, live: DashboardLive, outputs: OutputFeed, rawId: string, sse: SseOptions): Response {
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
    const unfollowEnds = outputs.followEnds(id, () => {
      live.tasks.invalidate(id);
      push(live.feed.lastSeq);
    });
    const unfollow = live.follow(from, {
      batch: (b) => {
        if (b.taskChanges.some((c) => c.id === id)) push(b.seq);
      },
      resync: () => push(live.feed.lastSeq),
    });
    return () => {
      unfollowEnds();
      unfollow();
    };
  }, { ...sse, signal: request.signal, log: live.log });
}

/** One attempt's output as HTML pieces for its task page (views/client/live-log.js appends them). */
function attemptLogStream(request: Request, deps: LogFollowDeps, rawId: string, rawAttempt: string): Response {
  if (!isUuid(rawId) || !/^\d{1,9}$/.test(rawAttempt) || Number(rawAttempt) < 1) return new Response("no such attempt", { status: 404 });
  const params = new URL(request.url).searchParams;
  const resume = request.headers.get("last-event-id") ?? params.get("offset") ?? "0";
  const from = /^\d{1,15}$/.test(resume) ? Number(resume) : 0;
  const html = new LogHtml();
  const events: LogEvents = {
    piece: (sink, p, id) => sink.send(LOG_EVENTS.piece, html.piece(p.stream, p.text, p.skipped), id),
    outcome: (sink, _o, id) => void sink.send(LOG_EVENTS.end, "", id),
  };
  return followLogResponse(deps, { taskId: rawId.toLowerCase(), attempt: Number(rawAttempt), stream: "both", from }, request.signal, events);
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
