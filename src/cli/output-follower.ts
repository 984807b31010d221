/**
 * How the CLI gets a task's output (`run`, `logs -f`). Today a worker reports an
 * attempt's output when it ends (the last 64 KiB of stdout and of stderr), so
 * each attempt's tails are printed once it has finished, woken by the event
 * stream (task-watcher.ts).
 *
 * Live output plugs in here: when the API streams an attempt's chunks as they
 * come, write them to the same sink as they arrive and mark that attempt as
 * printed, so its stored tails are not printed a second time. Callers only see
 * the sink and the final task.
 */
import type { ApiClient } from "./api-client.ts";
import { FINAL_STATUSES, type AttemptJson, type TaskDetailJson } from "./api-types.ts";
import { watchTasks } from "./task-watcher.ts";

export interface OutputSink {
  stdout(text: string, attempt: number): void;
  stderr(text: string, attempt: number): void;
  /** After an attempt's output: how it ended (for a note between attempts). */
  attemptEnded?(attempt: AttemptJson, task: TaskDetailJson): void;
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

/** Prints each attempt's output as it ends; resolves with the task once it is final (or the attempt asked for ended), null if aborted. */
export async function followOutput(api: ApiClient, taskId: string, sink: OutputSink, opts: FollowOptions): Promise<TaskDetailJson | null> {
  let next = opts.fromAttempt;
  let result: TaskDetailJson | null = null;
  const check = async () => {
    const task = await api.get<TaskDetailJson>(`/api/tasks/${taskId}`);
    for (const a of task.attempts) {
      if (a.attempt < next || a.finished_at === null) continue;
      if (opts.onlyAttempt === undefined || a.attempt === opts.onlyAttempt) printAttempt(a, sink, opts.streams);
      sink.attemptEnded?.(a, task);
      next = a.attempt + 1;
    }
    const done = opts.onlyAttempt !== undefined ? next > opts.onlyAttempt || FINAL_STATUSES.has(task.status) : FINAL_STATUSES.has(task.status);
    if (done) result = task;
    return done;
  };
  await watchTasks(api, check, { ids: new Set([taskId]), signal: opts.signal, onServerLost: opts.onServerLost });
  return result;
}

export function printAttempt(a: AttemptJson, sink: OutputSink, streams: { stdout: boolean; stderr: boolean }): void {
  if (streams.stdout && a.stdout_tail) sink.stdout(a.stdout_tail, a.attempt);
  if (streams.stderr && a.stderr_tail) sink.stderr(a.stderr_tail, a.attempt);
}
