/**
 * `taskflow wait ID...`: until every task has finished. Exit 0 when all
 * completed, 1 when any failed or was cancelled, 124 when --timeout passed
 * first (as timeout(1) does).
 */
import type { TaskJson } from "../api-types.ts";
import { FINAL_STATUSES } from "../api-types.ts";
import { boolFlag, durationFlag } from "../args.ts";
import { UsageError } from "../errors.ts";
import { resolveTaskId, shortId } from "../ids.ts";
import { statusStyle } from "../output.ts";
import type { CommandContext } from "../spec.ts";
import { watchTasks } from "../task-watcher.ts";

export const TIMEOUT_EXIT = 124;
/** Ctrl-C, as a shell reports a command stopped by SIGINT. */
const INTERRUPTED_EXIT = 130;

export async function run({ args, output, api: connect }: CommandContext): Promise<number> {
  if (args.positionals.length === 0) throw new UsageError("taskflow wait takes one or more task IDs (see taskflow help wait)");
  const timeoutMs = durationFlag(args, "timeout");
  const quiet = boolFlag(args, "quiet");
  const api = connect();
  const ids = [...new Set(await Promise.all(args.positionals.map((p) => resolveTaskId(api, p))))];
  const pending = new Set(ids);
  const ended = new Map<string, TaskJson>();
  const stop = new AbortController();
  let timedOut = false;
  const timer = timeoutMs === undefined ? null : setTimeout(() => ((timedOut = true), stop.abort()), timeoutMs);
  const onSigint = () => stop.abort();
  process.on("SIGINT", onSigint);
  try {
    await watchTasks(
      api,
      async () => {
        for (const id of [...pending]) {
          const t = await api.get<TaskJson>(`/api/tasks/${id}`);
          if (!FINAL_STATUSES.has(t.status)) continue;
          pending.delete(id);
          ended.set(id, t);
          if (!quiet) output.out(`${shortId(t.id)}  ${output.paint(statusStyle(t.status), t.status)}${t.exit_code !== null ? ` (exit ${t.exit_code})` : ""}  ${t.name}\n`);
        }
        return pending.size === 0;
      },
      { ids: pending, signal: stop.signal, onServerLost: (err) => quiet || output.err(`taskflow: ${err.message}; still trying\n`) },
    );
  } finally {
    if (timer) clearTimeout(timer);
    process.off("SIGINT", onSigint);
  }
  if (pending.size > 0) {
    const still = [...pending].map(shortId).join(", ");
    if (!quiet) output.err(`taskflow: ${timedOut ? "timed out" : "interrupted"} waiting for ${still}\n`);
    return timedOut ? TIMEOUT_EXIT : INTERRUPTED_EXIT;
  }
  return [...ended.values()].every((t) => t.status === "completed") ? 0 : 1;
}
