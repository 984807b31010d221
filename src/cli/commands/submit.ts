/** `taskflow submit -- COMMAND` (prints the id) and `taskflow submit --file tasks.json|-` (one batch). */
import { readFileSync } from "node:fs";
import type { TaskJson } from "../api-types.ts";
import { boolFlag, stringFlag } from "../args.ts";
import { UsageError } from "../errors.ts";
import type { CommandContext } from "../spec.ts";
import { shellCommand, taskBody } from "../task-flags.ts";

/** Task flags that make no sense with --file (each task in the file says its own). */
const PER_TASK_FLAGS = ["name", "queue", "priority", "retries", "backoff", "timeout", "env", "at", "in", "idempotency-key"];

export async function run({ args, output, api }: CommandContext): Promise<number> {
  if (args.positionals.length > 0) throw new UsageError(`put the command after --, e.g. taskflow submit -- ${args.positionals.join(" ")}`);
  const json = boolFlag(args, "json");
  const file = stringFlag(args, "file");
  if (file !== undefined) {
    if (args.command !== null) throw new UsageError("give --file or a command after --, not both");
    const given = PER_TASK_FLAGS.find((f) => args.values[f] !== undefined);
    if (given) throw new UsageError(`--${given} does not apply to --file: set it on each task in the file`);
    const tasks = readTaskFile(file);
    if (json) {
      output.out(`${JSON.stringify(await api().post<{ tasks: TaskJson[] }>("/api/tasks/batch", { tasks }), null, 2)}\n`);
      return 0;
    }
    // Only the ids are printed: the lean answer spares sending and parsing every task in full.
    const answer = await api().post<{ ids: string[] } | { tasks: TaskJson[] }>("/api/tasks/batch", { tasks }, { prefer: "return=minimal" });
    // A server from before the lean answer ignores the preference and lists the tasks.
    const ids = "ids" in answer ? answer.ids : answer.tasks.map((t) => t.id);
    output.out(ids.map((id) => `${id}\n`).join(""));
    return 0;
  }
  const task = await api().post<TaskJson>("/api/tasks", taskBody(args, shellCommand(args.command, "submit")));
  output.out(json ? `${JSON.stringify(task, null, 2)}\n` : `${task.id}\n`);
  return 0;
}

/** The tasks in a JSON file: an array, or {"tasks": [...]} as the batch route takes. */
function readTaskFile(path: string): unknown[] {
  let text: string;
  try {
    text = path === "-" ? readFileSync(0, "utf8") : readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`--file: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--file ${path} is not valid JSON (${(err as Error).message})`);
  }
  const tasks = Array.isArray(parsed) ? parsed : (parsed as { tasks?: unknown })?.tasks;
  if (!Array.isArray(tasks)) throw new UsageError(`--file ${path} must hold an array of tasks or {"tasks": [...]}`);
  return tasks;
}
