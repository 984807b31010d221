/** The queue API's answers (docs/flow-control.md) as TypeBox schemas: routes.ts builds them, the OpenAPI document shows them. */
import { Type, type Static } from "@sinclair/typebox";

const count = (description?: string) => Type.Integer({ minimum: 0, ...(description ? { description } : {}) });

export const QueueJsonSchema = Type.Object(
  {
    name: Type.String(),
    paused: Type.Boolean({ description: "a paused queue's tasks are not claimed; running ones finish" }),
    paused_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
    counts: Type.Object({ created: count(), scheduled: count(), picked: count(), running: count() }, { description: "unfinished tasks by status" }),
    due: count("scheduled tasks whose run_at has passed (due now)"),
    future: count("scheduled tasks whose run_at is still ahead"),
    lag_seconds: Type.Number({ minimum: 0, description: "how long the oldest due task has waited" }),
    workers: count("alive workers serving the queue"),
    slots: count("their concurrency, summed"),
    busy: count("tasks picked or running on them"),
  },
  { $id: "Queue" },
);
export type QueueJson = Static<typeof QueueJsonSchema>;

export const QueueListJsonSchema = Type.Object({ queues: Type.Array(QueueJsonSchema, { description: "by name" }) }, { $id: "QueueList" });
