/** `taskflow logs ID [-f] [--attempt N] [--stderr|--stdout]`: an attempt's output, or each attempt's as it ends. */
import type { TaskDetailJson } from "../api-types.ts";
import { boolFlag, intFlag } from "../args.ts";
import { ApiError } from "../api-client.ts";
import { CliError, UsageError } from "../errors.ts";
import { resolveTaskId } from "../ids.ts";
import { followOutput, printAttempt, type OutputSink } from "../output-follower.ts";
import type { CommandContext } from "../spec.ts";

export async function run({ args, output, api: connect }: CommandContext): Promise<number> {
  if (args.positionals.length !== 1) throw new UsageError("taskflow logs takes one task ID (see taskflow help logs)");
  const onlyStdout = boolFlag(args, "stdout");
  const onlyStderr = boolFlag(args, "stderr");
  if (onlyStdout && onlyStderr) throw new UsageError("give --stdout or --stderr, not both (neither prints both)");
  const streams = { stdout: !onlyStderr, stderr: !onlyStdout };
  const attempt = intFlag(args, "attempt", 1, 1_000_000);
  const api = connect();
  const id = await resolveTaskId(api, args.positionals[0]!);
  const sink: OutputSink = {
    stdout: (t) => output.out(t),
    stderr: (t) => output.err(t),
    gap: (bytes) => output.err(`${output.paintErr("dim", `taskflow: ${bytes} bytes of output were not kept`)}\n`),
  };
  const task = await api.get<TaskDetailJson>(`/api/tasks/${id}`);

  if (!boolFlag(args, "follow")) {
    const wanted = attempt ?? task.attempts.at(-1)?.attempt;
    if (wanted === undefined) throw new CliError(`task ${id} has not started an attempt yet (taskflow logs -f waits for it)`);
    const a = task.attempts.find((x) => x.attempt === wanted);
    if (!a) throw new CliError(`task ${id} has no attempt ${wanted} (it has ${task.attempts.length})`);
    // The attempt's whole stored log (not only the tails); an older server without the log API: the tails.
    try {
      const log = (stream: string) => api.text(`/api/tasks/${id}/attempts/${a.attempt}/log?stream=${stream}`);
      const [out, err] = await Promise.all([streams.stdout ? log("stdout") : "", streams.stderr ? log("stderr") : ""]);
      output.out(out);
      output.err(err);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
      printAttempt(a, sink, streams);
    }
    if (a.finished_at === null) output.err(`${output.paintErr("dim", `taskflow: attempt ${a.attempt} is still ${a.status}; follow it with taskflow logs -f`)}\n`);
    return 0;
  }
  // Follow from the latest attempt (printing it if it already ended), or from the one asked for.
  const from = attempt ?? Math.max(1, task.attempts.at(-1)?.attempt ?? 1);
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.on("SIGINT", onSigint);
  try {
    await followOutput(api, id, sink, {
      fromAttempt: from,
      onlyAttempt: attempt,
      streams,
      signal: stop.signal,
      onServerLost: (err) => output.err(`${output.paintErr("dim", `taskflow: ${err.message}; still trying`)}\n`),
    });
  } finally {
    process.off("SIGINT", onSigint);
  }
  // Ctrl-C, as a shell reports a command stopped by SIGINT.
  return stop.signal.aborted ? 130 : 0;
}
