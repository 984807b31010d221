/**
 * The wire format of /api/events: Server-Sent Events whose data is one line of
 * JSON, and event ids that let a client resume. An id is
 * `EPOCH-SEQ-INDEX`: this process's random epoch, the change feed batch, and the
 * event's place in it, so a client that reconnects with Last-Event-ID gets the
 * rest of a half-sent batch, and one that reconnects to another process (or after
 * a restart) is told to reload instead of silently missing events.
 */
import type { TaskChange, WorkerChange } from "../../db/channels.ts";
import type { TaskRow, WorkerRow } from "../../db/schema/index.ts";
import { taskJson } from "../tasks/task-json.ts";
import { workerJson } from "../workers/routes.ts";

export interface EventId {
  epoch: string;
  seq: number;
  index: number;
}

export function formatEventId(id: EventId): string {
  return `${id.epoch}-${id.seq}-${id.index}`;
}

export function parseEventId(text: string | null | undefined): EventId | null {
  const m = text?.trim().match(/^([a-z0-9]{1,16})-(\d{1,15})-(\d{1,9})$/);
  return m ? { epoch: m[1]!, seq: Number(m[2]), index: Number(m[3]) } : null;
}

/**
 * One SSE event. JSON.stringify never emits a raw line break, so `data` is one
 * line and needs no splitting.
 * @example sseEvent("task", { id: "…" }, "k3x9-12-0") // "id: k3x9-12-0\nevent: task\ndata: {…}\n\n"
 */
export function sseEvent(event: string, data: unknown, id?: string): string {
  return `${id ? `id: ${id}\n` : ""}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: ignored by clients, it keeps proxies from closing an idle stream. */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, " ")}\n\n`;
}

/**
 * The `task` event: the transition (status entered and attempt), and the task as
 * it was when the feed loaded it, without `command` and `env` (large, and not
 * needed to follow progress; GET /api/tasks/:id has them).
 */
export function taskEventJson(change: TaskChange, row: TaskRow | undefined) {
  let task = null;
  if (row) {
    const { command: _command, env: _env, ...rest } = taskJson(row);
    task = rest;
  }
  return { id: change.id, status: change.status, attempt: change.attempt, task };
}

/** The `worker` event: the status change, and the worker session as the feed loaded it. */
export function workerEventJson(change: WorkerChange, row: WorkerRow | undefined) {
  return { id: change.id, name: change.name, status: change.status, worker: row ? workerJson(row) : null };
}
