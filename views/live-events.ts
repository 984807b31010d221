/**
 * Names of the SSE events each live page listens to (`sse-swap`), shared by the
 * pages and src/scheduler/dashboard/live-routes.ts so the two cannot drift.
 */

/** Overview: one event per panel, each carrying that panel's fragment (swapped into the panel). */
export const OVERVIEW_EVENTS = {
  counts: "counts",
  throughput: "throughput",
  workers: "workers-summary",
  queues: "queues",
  failures: "failures",
  retention: "retention",
} as const;

/** Task list: row updates and new rows as out-of-band swaps by element id. */
export const TASK_LIST_EVENT = "tasks";

/** Task detail: one event per section. */
export const TASK_DETAIL_EVENTS = {
  summary: "task-summary",
  timeline: "task-timeline",
  attempts: "task-attempts",
  /** The task no longer exists (deleted, pruned, an in-memory server restarted): an out-of-band notice. */
  gone: "task-gone",
} as const;

/** An attempt's live log: `log` appends a piece of HTML; `log-end` says the attempt ended. */
export const LOG_EVENTS = { piece: "log", end: "log-end" } as const;

/** Workers page: the whole table body. */
export const WORKERS_EVENT = "workers";

/** Schedules page: the whole table body. */
export const SCHEDULES_EVENT = "schedules";

/** SSE stream paths, one per page kind. */
export const LIVE_PATHS = {
  overview: "/live/overview",
  tasks: "/live/tasks",
  task: (id: string) => `/live/tasks/${id}`,
  /** One attempt's output, as HTML pieces (`log` events, then `log-end`). */
  attemptLog: (id: string, attempt: number) => `/live/tasks/${id}/attempts/${attempt}/log`,
  workers: "/live/workers",
  schedules: "/live/schedules",
} as const;
