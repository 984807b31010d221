/**
 * The log API: an attempt's stored output (GET /api/tasks/:id/attempts/:n/log), the
 * latest attempt's (GET /api/tasks/:id/log), as text, as JSON with offsets, or
 * followed live over SSE (?follow=1, log-follow.ts).
 *
 * JSON answers hold one contiguous run: `offset` is where its bytes start (past
 * `?offset` when bytes there were not kept), `next_offset` is the offset to ask
 * for next. Text answers hold everything read, with a line marking each gap.
 */
import { Elysia } from "elysia";
import { NotFoundError, ValidationError } from "../../core/errors.ts";
import { isUuid } from "../../core/uuid.ts";
import type { Db } from "../../db/client.ts";
import { latestAttempt } from "../../db/queries/latest-attempt.ts";
import { readOutput, type OutputRead } from "../../db/queries/read-output.ts";
import type { SseBudget } from "../sse-budget.ts";
import type { Logger } from "../../log/logger.ts";
import type { ChangeFeed } from "../live/change-feed.ts";
import type { OutputFeed } from "../live/output-feed.ts";
import { errorAnswer, jsonAnswer, queryParameters } from "../openapi/route-docs.ts";
import { followLogResponse } from "./log-follow.ts";
import { LogQuerySchema, parseLogQuery, type LogQuery } from "./log-query.ts";
import { LogJsonSchema } from "./model.ts";

export interface LogRoutesDeps {
  db: Db;
  feed: ChangeFeed;
  outputs: OutputFeed;
  log: Logger;
  /** The process's SSE budget (--sse-max-connections), for followers. */
  budget?: SseBudget;
}

const tags = ["tasks"];
const answers = {
  200: {
    description: "the stored output: text/plain (gaps marked by a line), JSON (one contiguous run with offsets), or text/event-stream with follow=1",
    content: {
      "text/plain": { schema: { type: "string" as const } },
      "application/json": jsonAnswer("", LogJsonSchema).content["application/json"],
      "text/event-stream": { schema: { type: "string" as const, description: "events `output` {offset, skipped, text} (id: the next offset) and a last `outcome` {task_id, attempt, status, exit_code, error, dropped_bytes}" } },
    },
  },
  404: errorAnswer("no such task or attempt (or the task has not started an attempt yet)"),
  422: errorAnswer("a query parameter is invalid, each named in details"),
};
const FOLLOW_DESCRIPTION =
  "With follow=1 the answer is a Server-Sent Events stream from `offset` until the attempt ends: `output` events, then one `outcome` event. Each `output` event's id is the offset after it; reconnect with Last-Event-ID to resume with nothing lost or repeated.";

/** Text put in place of bytes that were not kept. */
export function gapLine(bytes: number): string {
  return `\n[… ${bytes} bytes not kept …]\n`;
}

export function logRoutes(deps: LogRoutesDeps) {
  const answer = async (request: Request, taskId: string, attempt: number | null) => {
    const q = valid(parseLogQuery(new URL(request.url).searchParams, request.headers.get("accept")));
    const resume = request.headers.get("last-event-id")?.trim();
    const from = resume && /^\d{1,15}$/.test(resume) ? Number(resume) : q.offset;
    if (q.follow) return followLogResponse(deps, { taskId, attempt, stream: q.stream, from }, request.signal);
    const n = attempt ?? (await latestAttempt(deps.db, taskId));
    if (n === null) throw new NotFoundError(`no task with id ${taskId}`);
    if (n === 0) throw new NotFoundError(`task ${taskId} has not started an attempt yet`);
    const read = await readOutput(deps.db, { taskId, attempt: n, stream: q.stream, from, limit: q.limit });
    if (!read) throw new NotFoundError(`task ${taskId} has no attempt ${n}`);
    return q.format === "json" ? jsonLog(taskId, n, q, from, read) : textLog(taskId, n, q, from, read);
  };
  return new Elysia({ name: "logs", prefix: "/api/tasks" })
    .get("/:id/log", ({ params, request }) => answer(request, taskId(params.id), null), {
      detail: { summary: "The output of a task's latest attempt (text, JSON, or followed live)", description: FOLLOW_DESCRIPTION, tags, parameters: queryParameters(LogQuerySchema), responses: answers },
    })
    .get("/:id/attempts/:n/log", ({ params, request }) => answer(request, taskId(params.id), attemptNumber(params.n)), {
      detail: { summary: "The output of one attempt (text, JSON, or followed live)", description: FOLLOW_DESCRIPTION, tags, parameters: queryParameters(LogQuerySchema), responses: answers },
    });
}

function jsonLog(taskId: string, attempt: number, q: LogQuery, from: number, read: OutputRead) {
  const run = read.runs[0];
  const offset = run?.offset ?? Math.max(from, 0);
  const next = run ? run.offset + run.data.length : Math.max(from, read.end);
  return {
    task_id: taskId,
    attempt,
    stream: q.stream,
    offset,
    next_offset: next,
    dropped_bytes: read.droppedBytes,
    complete: read.finished && next >= read.end,
    text: run ? new TextDecoder().decode(run.data) : "",
  };
}

function textLog(taskId: string, attempt: number, q: LogQuery, from: number, read: OutputRead): Response {
  const parts: Uint8Array[] = [];
  const encoder = new TextEncoder();
  let at = from;
  for (const run of read.runs) {
    if (run.offset > at && at > 0) parts.push(encoder.encode(gapLine(run.offset - at)));
    else if (run.offset > at) parts.push(encoder.encode(gapLine(run.offset - at).trimStart()));
    parts.push(run.data);
    at = run.offset + run.data.length;
  }
  const next = read.runs.length > 0 ? at : Math.max(from, read.end);
  const headers: Record<string, string> = {
    "content-type": "text/plain; charset=utf-8",
    "x-taskflow-next-offset": String(next),
    "x-taskflow-dropped-bytes": String(read.droppedBytes),
    "x-taskflow-complete": String(read.finished && next >= read.end),
  };
  if (q.download) headers["content-disposition"] = `attachment; filename="task-${taskId}-attempt-${attempt}-${q.stream}.log"`;
  return new Response(new Blob(parts as BlobPart[]), { headers });
}

function valid<T>(checked: { ok: true; value: T } | { ok: false; problems: ValidationError["details"] }): T {
  if (checked.ok) return checked.value;
  throw new ValidationError("the request has invalid fields", checked.problems);
}

function taskId(id: string): string {
  if (!isUuid(id)) throw new NotFoundError(`no task with id ${id}`);
  return id.toLowerCase();
}

function attemptNumber(n: string): number {
  if (!/^\d{1,9}$/.test(n) || Number(n) < 1) throw new NotFoundError(`no attempt ${n}: attempts count from 1`);
  return Number(n);
}
