/** The worker API's answers (SPEC §3) as TypeBox schemas: routes.ts builds them, typed by these, and the OpenAPI document shows them. */
import { Type, type Static } from "@sinclair/typebox";

const time = () => Type.String({ format: "date-time" });

export const WorkerJsonSchema = Type.Object(
  {
    id: Type.String({ format: "uuid", description: "the session: a restarted worker is a new one" }),
    name: Type.String(),
    host: Type.String(),
    status: Type.Union([Type.Literal("alive"), Type.Literal("draining"), Type.Literal("dead"), Type.Literal("left")], {
      description: "alive; draining (takes no new tasks, finishes its running ones); left (drained and exited cleanly); dead (declared dead: silent past the worker timeout)",
    }),
    queues: Type.Array(Type.String()),
    labels: Type.Record(Type.String(), Type.String(), { description: "what it advertises (--labels plus hostname, os, arch); task selectors match these (docs/placement.md)" }),
    concurrency: Type.Integer({ minimum: 0 }),
    running: Type.Integer({ minimum: 0, description: "attempts running on it at the last heartbeat" }),
    last_heartbeat_at: time(),
    started_at: time(),
    version: Type.String(),
  },
  { $id: "Worker" },
);
export type WorkerJson = Static<typeof WorkerJsonSchema>;

export const WorkerListJsonSchema = Type.Object(
  { workers: Type.Array(WorkerJsonSchema, { description: "alive and draining first (newest first), then the latest dead ones" }) },
  { $id: "WorkerList" },
);
