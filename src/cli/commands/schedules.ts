/** `taskflow schedules ls|add|pause|resume|rm`: recurring tasks. */
import type { ScheduleJson } from "../api-types.ts";
import { boolFlag, stringFlag } from "../args.ts";
import { UsageError } from "../errors.ts";
import { resolveScheduleId, shortId } from "../ids.ts";
import { statusStyle, type Output } from "../output.ts";
import type { CommandContext } from "../spec.ts";
import { renderTable } from "../table.ts";
import { defaultName, shellCommand, templateBody } from "../task-flags.ts";
import { age } from "../time-format.ts";

const SUBCOMMANDS = "ls, add, pause, resume, rm or run-now";

export async function run(ctx: CommandContext): Promise<number> {
  const [sub, ...ids] = ctx.args.positionals;
  switch (sub) {
    case "ls":
      if (ids.length > 0) throw new UsageError("taskflow schedules ls takes no arguments");
      return list(ctx);
    case "add":
      if (ids.length > 0) throw new UsageError(`put the command after --, e.g. taskflow schedules add --name N --cron '0 3 * * *' -- ${ids.join(" ")}`);
      return add(ctx);
    case "pause":
    case "resume":
    case "rm":
      return change(ctx, sub, ids);
    case "run-now":
      return runNow(ctx, ids);
    default:
      throw new UsageError(sub === undefined ? `taskflow schedules needs a subcommand: ${SUBCOMMANDS}` : `unknown subcommand "schedules ${sub}": expected ${SUBCOMMANDS}`);
  }
}

async function list({ args, output, api }: CommandContext): Promise<number> {
  const answer = await api().get<{ schedules: ScheduleJson[] }>("/api/schedules");
  output.out(boolFlag(args, "json") ? `${JSON.stringify(answer, null, 2)}\n` : schedulesTable(answer.schedules, output, Date.now()));
  return 0;
}

async function add({ args, output, api }: CommandContext): Promise<number> {
  const cron = stringFlag(args, "cron");
  if (cron === undefined) throw new UsageError("taskflow schedules add needs --cron, e.g. --cron '0 3 * * *'");
  const command = shellCommand(args.command, "schedules add");
  const body: Record<string, unknown> = { name: stringFlag(args, "name") ?? defaultName(command), cron, task: { command, ...templateBody(args) } };
  const timezone = stringFlag(args, "timezone");
  if (timezone !== undefined) body.timezone = timezone;
  if (boolFlag(args, "paused")) body.paused = true;
  const s = await api().post<ScheduleJson>("/api/schedules", body);
  output.out(boolFlag(args, "json") ? `${JSON.stringify(s, null, 2)}\n` : `${s.id}\n`);
  return 0;
}

/** pause, resume or rm each schedule given; a refusal does not stop the rest (exit 1). */
async function change({ output, api: connect }: CommandContext, verb: "pause" | "resume" | "rm", given: string[]): Promise<number> {
  if (given.length === 0) throw new UsageError(`taskflow schedules ${verb} takes one or more schedule IDs`);
  const api = connect();
  let failed = 0;
  for (const text of given) {
    try {
      const id = await resolveScheduleId(api, text);
      const s = verb === "rm" ? await api.delete<ScheduleJson>(`/api/schedules/${id}`) : await api.patch<ScheduleJson>(`/api/schedules/${id}`, { paused: verb === "pause" });
      output.out(`${shortId(s.id)}  ${verb === "rm" ? "removed" : verb === "pause" ? "paused" : "resumed"}  ${s.name}\n`);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      failed++;
      output.err(`taskflow: ${text}: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

/** Runs each schedule given now, outside its cron (the task is marked manual); prints each new task's id. */
async function runNow({ output, api: connect }: CommandContext, given: string[]): Promise<number> {
  if (given.length === 0) throw new UsageError("taskflow schedules run-now takes one or more schedule IDs");
  const api = connect();
  let failed = 0;
  for (const text of given) {
    try {
      const id = await resolveScheduleId(api, text);
      const answer = await api.post<{ id?: string; task?: { id: string } }>(`/api/schedules/${id}/run`);
      output.out(`${answer.task?.id ?? answer.id}\n`);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      failed++;
      output.err(`taskflow: ${text}: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

export function schedulesTable(schedules: ScheduleJson[], output: Output, now: number): string {
  if (schedules.length === 0) return "no schedules\n";
  return renderTable(
    schedules,
    [
      { header: "ID", value: (s) => shortId(s.id) },
      { header: "NAME", value: (s) => s.name, shrink: true },
      { header: "CRON", value: (s) => s.cron },
      { header: "TZ", value: (s) => s.timezone },
      { header: "STATE", value: (s) => (s.paused ? "paused" : "active"), style: (s) => (s.paused ? "yellow" : "green") },
      { header: "NEXT RUN", value: (s) => (s.next_run_at ? age(s.next_run_at, now) : "-") },
      { header: "LAST", value: (s) => s.last_task_status ?? "-", style: (s) => (s.last_task_status ? statusStyle(s.last_task_status) : null) },
      { header: "COMMAND", value: (s) => s.task.command, shrink: true },
    ],
    output.paint,
    output.columns,
  );
}
