/**
 * The API's JSON shapes as the CLI reads them. Type-only imports of the server's
 * answer schemas: erased at build time, so the CLI loads no server code, and a
 * field the server renames breaks the CLI's typecheck instead of its output.
 */
import type { ScheduleJson } from "../scheduler/schedules/model.ts";
import type { TaskDetailJson, TaskJson } from "../scheduler/tasks/model.ts";
import type { WorkerJson } from "../scheduler/workers/model.ts";

export type { ScheduleJson, TaskDetailJson, TaskJson, WorkerJson };
export type AttemptJson = TaskDetailJson["attempts"][number];
export type TaskListJson = { tasks: TaskJson[]; next_cursor: string | null };

/** Statuses a task never leaves by itself (a user's retry aside). */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(["completed", "failed", "cancelled"]);
