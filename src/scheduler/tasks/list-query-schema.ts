/**
 * GET /api/tasks query parameters as a TypeBox schema, for the OpenAPI document.
 * list-query.ts does the checking (its rules do not fit Elysia's coercion); the
 * response tests check that the parameters it reads are exactly these.
 */
import { Type } from "@sinclair/typebox";
import { TASK_STATUSES } from "../../core/task-status.ts";
import { LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, OUTPUT_SEARCH_MIN_CHARS, SEARCH_MAX_CHARS } from "./list-query.ts";
import { QUEUE_PATTERN } from "../../core/queue-name.ts";

export const TaskListQuery = Type.Object({
  status: Type.Optional(
    Type.String({
      description: `only tasks in these statuses: one or a comma list of ${TASK_STATUSES.join(", ")} (repeating the parameter works too)`,
      examples: ["failed,cancelled"],
    }),
  ),
  queue: Type.Optional(Type.String({ pattern: QUEUE_PATTERN, description: "only tasks of this queue" })),
  q: Type.Optional(Type.String({ maxLength: SEARCH_MAX_CHARS, description: "only tasks whose name contains this text (case-insensitive)" })),
  output: Type.Optional(
    Type.String({
      minLength: OUTPUT_SEARCH_MIN_CHARS,
      maxLength: SEARCH_MAX_CHARS,
      description: "only tasks whose output contains this text (case-insensitive), searched in the last 64 KiB of stdout and stderr of each finished attempt",
    }),
  ),
  schedule_id: Type.Optional(Type.String({ format: "uuid", description: "only tasks this schedule made" })),
  from_schedule: Type.Optional(
    Type.Union([Type.Literal("true"), Type.Literal("false")], {
      description: "true: only tasks a schedule made; false: only tasks not made by a schedule (the dashboard's \"Hide tasks made by schedules\")",
    }),
  ),
  worker_id: Type.Optional(Type.String({ format: "uuid", description: "only tasks whose current or last attempt ran on this worker session (with status=picked,running: what it runs now)" })),
  name: Type.Optional(Type.String({ maxLength: SEARCH_MAX_CHARS, description: "only tasks with exactly this name" })),
  created_after: Type.Optional(Type.String({ format: "date-time", description: "only tasks created at or after this time (ISO 8601 with a zone)" })),
  created_before: Type.Optional(Type.String({ format: "date-time", description: "only tasks created before this time (ISO 8601 with a zone)" })),
  label: Type.Optional(Type.String({ description: "only tasks with this label, as KEY=VALUE; repeat the parameter for several (all must match)", examples: ["team=db"] })),
  parent_id: Type.Optional(Type.String({ format: "uuid", description: "only the children of this fanout parent (docs/placement.md)" })),
  id_prefix: Type.Optional(Type.String({ maxLength: 36, description: "only tasks whose id starts with this (e.g. the first 8 characters, as the CLI shows them)", examples: ["7d1c2a4e"] })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIST_LIMIT_MAX, default: LIST_LIMIT_DEFAULT, description: "page size" })),
  cursor: Type.Optional(Type.String({ description: "the next_cursor of the previous page" })),
});
