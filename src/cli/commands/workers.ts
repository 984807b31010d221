/** `taskflow workers ls`: worker sessions, alive and draining first. */
import type { WorkerJson } from "../api-types.ts";
import { boolFlag } from "../args.ts";
import { UsageError } from "../errors.ts";
import { statusStyle, type Output } from "../output.ts";
import type { CommandContext } from "../spec.ts";
import { renderTable } from "../table.ts";
import { age } from "../time-format.ts";

export async function run({ args, output, api }: CommandContext): Promise<number> {
  const [sub, ...extra] = args.positionals;
  if (sub !== "ls" || extra.length > 0) throw new UsageError(sub === undefined ? "taskflow workers needs a subcommand: ls" : `unknown subcommand "workers ${args.positionals.join(" ")}": expected ls`);
  const answer = await api().get<{ workers: WorkerJson[] }>("/api/workers");
  output.out(boolFlag(args, "json") ? `${JSON.stringify(answer, null, 2)}\n` : workersTable(answer.workers, output, Date.now()));
  return 0;
}

export function workersTable(workers: WorkerJson[], output: Output, now: number): string {
  if (workers.length === 0) return "no workers\n";
  return renderTable(
    workers,
    [
      { header: "NAME", value: (w) => w.name, shrink: true },
      { header: "STATUS", value: (w) => w.status, style: (w) => statusStyle(w.status) },
      { header: "RUNNING", value: (w) => `${w.running}/${w.concurrency}`, align: "right" },
      { header: "QUEUES", value: (w) => w.queues.join(","), shrink: true },
      { header: "HEARTBEAT", value: (w) => age(w.last_heartbeat_at, now) },
      { header: "UP", value: (w) => age(w.started_at, now).replace(/ ago$/, "") },
      { header: "HOST", value: (w) => w.host, shrink: true },
      { header: "VERSION", value: (w) => w.version },
    ],
    output.paint,
    output.columns,
  );
}
