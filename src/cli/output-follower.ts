/**
 * How the CLI gets a task's output (`run`, `logs -f`): each attempt's output as it is
 * written, from the log API's follow stream (`GET /api/tasks/:id/attempts/:n/log?follow=1`,
 * resumed by its byte offset after a drop), then how the attempt ended. Against a
 * server without the log API (404) it falls back to the attempt's stored tails,
 * printed once the attempt has ended. Callers only see the sink and the final task.
 */
import { ApiError, type ApiClient } from "./api-client.ts";
import { FINAL_STATUSES, type AttemptJson, type TaskDetailJson } from "./api-types.ts";
import { readSse } from "./event-stream.ts";
import { watchTasks } from "./task-watcher.ts";

export interface OutputSink {
  stdout(text: string, attempt: number): void;
  stderr(text: string, attempt: number): void;
  /** After an attempt's output: how it ended (for a note between attempts). */
  attemptEnded?(attempt: AttemptJson, task: TaskDetailJson): void;
  /** Output the server did not keep (past --max-log-bytes, or dropped by a worker under pressure). */
  gap?(bytes: number, attempt: number): void;
}

export interface FollowOptions {
  /** Print attempts from this number on (1 = all). */
  fromAttempt: number;
  /** Stop once this attempt has ended, rather than when the task has. */
  onlyAttempt?: number;
  streams: { stdout: boolean; stderr: boolean };
  signal?: AbortSignal;
  /** Told when the server stops answering; following goes on trying (task-watcher.ts). */
  onServerLost?(err: Error): void;
}

/** A dropped follow stream is opened again after this long (from its last offset). */
const RESUME_DELAY_MS = 500;

/** Prints each attempt's output as it comes; resolves with the task once it is final (or the attempt asked for ended), null if aborted. */
export async function followOutput(api: ApiClient, taskId: string, sink: OutputSink, opts: FollowOptions): Promise<TaskDetailJson | null> {
  let live = true;
  for (let n = opts.fromAttempt; ; n++) {
    // Attempt n has started, or the task ended without it.
    const started = await waitForTask(api, taskId, opts, (t) => t.attempts.some((a) => a.attempt === n) || FINAL_STATUSES.has(t.status));
    if (!started) return null;
    if (!started.attempts.some((a) => a.attempt === n)) return started;
    let streamed = false;
    if (live) {
      const how = await streamAttempt(api, taskId, n, sink, opts);
      if (how === "aborted") return null;
      if (how === "unsupported") live = false;
      streamed = how === "ended";
    }
    const ended = await waitForTask(api, taskId, opts, (t) => t.attempts.find((a) => a.attempt === n)?.finished_at != null);
    if (!ended) return null;
    const attempt = ended.attempts.find((a) => a.attempt === n)!;
    if (!streamed) printAttempt(attempt, sink, opts.streams);
    sink.attemptEnded?.(attempt, ended);
    if (opts.onlyAttempt === n) return ended;
    if (FINAL_STATUSES.has(ended.status) && !ended.attempts.some((a) => a.attempt === n + 1)) return ended;
  }
}

/** Re-reads the task (woken by the event stream) until `done` says so; null if aborted. */
async function waitForTask(api: ApiClient, taskId: string, opts: FollowOptions, done: (t: TaskDetailJson) => boolean): Promise<TaskDetailJson | null> {
  let task: TaskDetailJson | null = null;
  await watchTasks(
    api,
    async () => {
      task = await api.get<TaskDetailJson>(`/api/tasks/${taskId}`);
      return done(task);
    },
    { ids: new Set([taskId]), signal: opts.signal, onServerLost: opts.onServerLost },
  );
  return opts.signal?.aborted ? null : task;
}

/**
 * Writes attempt `n`'s output to the sink as the server streams it, until the stream's
 * `outcome` event. "unsupported": the server has no log API (an older taskflow).
 */
async function streamAttempt(api: ApiClient, taskId: string, n: number, sink: OutputSink, opts: FollowOptions): Promise<"ended" | "unsupported" | "aborted"> {
  const stream = opts.streams.stdout && opts.streams.stderr ? "both" : opts.streams.stdout ? "stdout" : "stderr";
  const path = `/api/tasks/${taskId}/attempts/${n}/log?follow=1&stream=${stream}`;
  let lastId: string | null = null;
  while (!opts.signal?.aborted) {
    try {
      const res = await api.openStream(path, lastId, opts.signal);
      for await (const m of readSse(res.body!)) {
        if (m.id) lastId = m.id;
        if (m.event === "outcome") {
          void res.body?.cancel().catch(() => {});
          return "ended";
        }
        if (m.event !== "output") continue;
        const piece = JSON.parse(m.data) as { stream: "stdout" | "stderr"; text: string; skipped?: number };
        if (piece.skipped) sink.gap?.(piece.skipped, n);
        if (piece.stream === "stderr") sink.stderr(piece.text, n);
        else sink.stdout(piece.text, n);
      }
    } catch (err) {
      if (opts.signal?.aborted) break;
      if (err instanceof ApiError && err.status === 404) return "unsupported";
      opts.onServerLost?.(err as Error);
    }
    // The stream dropped before the attempt ended: resume after the last byte we printed.
    await Bun.sleep(RESUME_DELAY_MS);
  }
  return "aborted";
}

export function printAttempt(a: AttemptJson, sink: OutputSink, streams: { stdout: boolean; stderr: boolean }): void {
  if (streams.stdout && a.stdout_tail) sink.stdout(a.stdout_tail, a.attempt);
  if (streams.stderr && a.stderr_tail) sink.stderr(a.stderr_tail, a.attempt);
}
