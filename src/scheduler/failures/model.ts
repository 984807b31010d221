/** GET /api/failures: its query and its answer, as TypeBox schemas (checked in routes.ts, shown in the OpenAPI document). */
import { Type, type Static } from "@sinclair/typebox";
import { FAILURE_REASON_MAX_CHARS } from "../../core/failure-reason.ts";

/** The window: 24 hours unless asked, at most 7 days. */
export const FAILURES_SINCE_DEFAULT = "24h";
export const FAILURES_SINCE_MAX_MS = 7 * 24 * 3600 * 1000;
/** Failed tasks read per request, newest first: a bound on the scan whatever the day was like. */
export const FAILURES_SCAN_MAX = 10_000;
/** Sample ids per group. */
export const FAILURE_SAMPLES = 5;

export const FailuresQuery = Type.Object({
  since: Type.Optional(Type.String({ default: FAILURES_SINCE_DEFAULT, description: "how far back: a duration such as 1h, 24h or 7d (at most 7d)", examples: ["24h"] })),
});

export const FailureGroupJsonSchema = Type.Object(
  {
    name: Type.String({ description: "the tasks' name" }),
    failure_reason: Type.Union([Type.String({ maxLength: FAILURE_REASON_MAX_CHARS }), Type.Null()], { description: "the reason shared by the group (as failure_reason on a task)" }),
    count: Type.Integer({ minimum: 1 }),
    last_failed_at: Type.String({ format: "date-time", description: "when the newest of them failed" }),
    sample_ids: Type.Array(Type.String({ format: "uuid" }), { maxItems: FAILURE_SAMPLES, description: "the newest few, newest first" }),
  },
  { $id: "FailureGroup" },
);

export const FailuresJsonSchema = Type.Object(
  {
    since: Type.String({ format: "date-time", description: "the start of the window" }),
    total: Type.Integer({ description: "failed tasks read (at most the scan cap)" }),
    truncated: Type.Boolean({ description: `true when more than ${FAILURES_SCAN_MAX} tasks failed in the window: only the newest were grouped` }),
    groups: Type.Array(FailureGroupJsonSchema, { description: "most failures first, then the most recent" }),
  },
  { $id: "Failures" },
);
export type FailuresJson = Static<typeof FailuresJsonSchema>;
export type FailureGroupJson = Static<typeof FailureGroupJsonSchema>;
