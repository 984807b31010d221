/**
 * Schedules as the API shows them: snake_case, times ISO-8601 UTC, plus
 * `next_runs`, the next few due times. For an active schedule they start at
 * next_run_at; for a paused one they are the times resuming now would give.
 * Either way they are computed against the database's clock. Typed by the
 * answer schema in model.ts, which the OpenAPI document shows.
 */
import { nextRuns } from "../../core/cron.ts";
import type { TaskStatus } from "../../core/task-status.ts";
import type { CatchUp, Overlap } from "../../core/schedule-policy.ts";
import type { ScheduleView } from "../../db/queries/list-schedules.ts";
import type { ScheduleTemplate } from "../../db/queries/schedule-template.ts";
import type { Static } from "@sinclair/typebox";
import type { ScheduleTickRow } from "../../db/schema/index.ts";
import { NEXT_RUNS_SHOWN, type ScheduleJson, type ScheduleTickJsonSchema } from "./model.ts";

/** ISO-8601 UTC, or null for an unset time; `!` on NOT NULL columns (stand-in rows in some tests leave them out). */
const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export type { ScheduleJson };

export function scheduleJson(s: ScheduleView, now: Date): ScheduleJson {
  return {
    id: s.id,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    paused: s.paused,
    overlap: s.overlap as Overlap,
    catch_up: s.catchUp as CatchUp,
    catch_up_max: s.catchUpMax,
    task: s.template as unknown as ScheduleTemplate,
    next_run_at: iso(s.nextRunAt),
    next_runs: upcoming(s, now).map((d) => d.toISOString()),
    last_run_at: iso(s.lastRunAt),
    last_task_id: s.lastTaskId,
    last_task_status: s.lastTaskStatus as TaskStatus | null,
    created_at: iso(s.createdAt)!,
    updated_at: iso(s.updatedAt)!,
  };
}

/** The next NEXT_RUNS_SHOWN due times; none for an active schedule whose expression matches no later time. */
export function upcoming(s: Pick<ScheduleView, "cron" | "timezone" | "paused" | "nextRunAt">, now: Date): Date[] {
  try {
    if (s.nextRunAt) return [s.nextRunAt, ...nextRuns(s.cron, s.timezone, s.nextRunAt, NEXT_RUNS_SHOWN - 1)];
    return s.paused ? nextRuns(s.cron, s.timezone, now, NEXT_RUNS_SHOWN) : [];
  } catch {
    // A stored expression that no longer parses: the ticker reports it; the listing still answers.
    return [];
  }
}

/** One entry of a schedule's history (schedule_ticks). */
export function tickJson(t: ScheduleTickRow): Static<typeof ScheduleTickJsonSchema> {
  return { due_at: iso(t.dueAt)!, outcome: t.outcome as Static<typeof ScheduleTickJsonSchema>["outcome"], task_id: t.taskId, message: t.message, at: iso(t.createdAt)! };
}
