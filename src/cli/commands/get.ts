/** `taskflow get ID`: a task's summary, its attempts and its timeline (or the API's JSON). */
import type { AttemptJson, TaskDetailJson } from "../api-types.ts";
import { attemptText } from "../../core/attempt.ts";
import { boolFlag } from "../args.ts";
import { UsageError } from "../errors.ts";
import { resolveTaskId } from "../ids.ts";
import { statusStyle, type Output } from "../output.ts";
import type { CommandContext } from "../spec.ts";
import { renderTable } from "../table.ts";
import { age, humanDuration, runTime, shortTime } from "../time-format.ts";

export async function run({ args, output, api: connect }: CommandContext): Promise<number> {
  if (args.positionals.length !== 1) throw new UsageError("taskflow get takes one task ID (see taskflow help get)");
  const api = connect();
  const task = await api.get<TaskDetailJson>(`/api/tasks/${await resolveTaskId(api, args.positionals[0]!)}`);
  output.out(boolFlag(args, "json") ? `${JSON.stringify(task, null, 2)}\n` : taskReport(task, output, Date.now()));
  return 0;
}

export function taskReport(t: TaskDetailJson, output: Output, now: number): string {
  const p = output.paint;
  const field = (label: string, value: string) => `${p("dim", label.padEnd(12))}${value}\n`;
  const env = Object.keys(t.env);
  let text = `${p("bold", t.name)}  ${p(statusStyle(t.status), t.status)}\n`;
  text += field("id", t.id);
  text += field("command", t.command.includes("\n") ? t.command.replace(/\n/g, `\n${" ".repeat(12)}`) : t.command);
  text += field("queue", `${t.queue}, priority ${t.priority}`);
  text += field("attempts", `${attemptText({ attempt: t.attempt, retryBase: t.retry_base, maxRetries: t.max_retries, manualRetries: t.manual_retries })}; backoff ${humanDuration(t.backoff_ms)} ×${t.backoff_factor}, at most ${humanDuration(t.backoff_max_ms)}`);
  if (t.timeout_ms !== null) text += field("timeout", humanDuration(t.timeout_ms));
  if (env.length > 0) text += field("env", env.join(", "));
  if (t.idempotency_key !== null) text += field("idem. key", t.idempotency_key);
  if (t.schedule_id !== null) text += field("schedule", t.schedule_id);
  text += field("created", `${shortTime(t.created_at)} (${age(t.created_at, now)})`);
  text += field("run at", shortTime(t.run_at));
  if (t.started_at) text += field("started", shortTime(t.started_at));
  if (t.finished_at) text += field("finished", `${shortTime(t.finished_at)} (ran ${runTime(t.started_at, t.finished_at, now)})`);
  if (t.worker) text += field("worker", t.worker);
  if (t.exit_code !== null) text += field("exit code", String(t.exit_code));
  if (t.error) text += field("error", t.error);
  if (t.attempts.length > 0) {
    text += `\n${p("bold", "attempts")}\n`;
    text += renderTable<AttemptJson>(
      t.attempts,
      [
        { header: "#", value: (a) => String(a.attempt), align: "right" },
        { header: "WORKER", value: (a) => a.worker ?? "-", shrink: true },
        { header: "STATUS", value: (a) => a.status, style: (a) => statusStyle(a.status === "lost" ? "failed" : a.status) },
        { header: "STARTED", value: (a) => shortTime(a.started_at ?? a.picked_at) },
        { header: "DURATION", value: (a) => runTime(a.started_at, a.finished_at, now) },
        { header: "EXIT", value: (a) => (a.exit_code === null ? "-" : String(a.exit_code)), align: "right" },
        { header: "ERROR", value: (a) => a.error ?? "", shrink: true },
      ],
      p,
      output.columns,
    );
  }
  if (t.events.length > 0) {
    text += `\n${p("bold", "timeline")}\n`;
    text += renderTable(
      t.events,
      [
        { header: "AT", value: (e) => shortTime(e.at) },
        { header: "STATUS", value: (e) => e.status, style: (e) => statusStyle(e.status) },
        { header: "ATTEMPT", value: (e) => String(e.attempt), align: "right" },
        { header: "WORKER", value: (e) => e.worker ?? "-", shrink: true },
        { header: "MESSAGE", value: (e) => e.message ?? "", shrink: true },
      ],
      p,
      output.columns,
    );
  }
  const last = t.attempts.at(-1);
  if (last && (last.stdout_tail || last.stderr_tail)) text += `\n${p("dim", `output of attempt ${last.attempt}: taskflow logs ${t.id.slice(0, 8)}`)}\n`;
  return text;
}
