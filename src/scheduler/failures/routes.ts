/**
 * GET /api/failures: the last day's (or `since`'s) failed tasks grouped by name
 * and failure reason, with counts, the newest time and a few ids: "what broke,
 * how often" at a glance; the bulk actions then retry or cancel a group by its
 * name (POST /api/tasks/retry with filter {name, status: failed}).
 */
import { Elysia } from "elysia";
import { DurationError, parseDuration } from "../../core/duration.ts";
import { ValidationError } from "../../core/errors.ts";
import type { Db } from "../../db/client.ts";
import { dbNow } from "../../db/queries/db-now.ts";
import { listFailures } from "../../db/queries/list-failures.ts";
import { errorAnswer, jsonAnswer, queryParameters } from "../openapi/route-docs.ts";
import { groupFailures } from "./group-failures.ts";
import { FAILURES_SCAN_MAX, FAILURES_SINCE_DEFAULT, FAILURES_SINCE_MAX_MS, FailuresJsonSchema, FailuresQuery, type FailuresJson } from "./model.ts";

export function failureRoutes(db: Db) {
  return new Elysia({ name: "failures" }).get(
    "/api/failures",
    async ({ request }): Promise<FailuresJson> => {
      const q = request.url.indexOf("?");
      const windowMs = sinceMs(new URLSearchParams(q < 0 ? "" : request.url.slice(q + 1)).get("since") ?? FAILURES_SINCE_DEFAULT);
      // The database's clock decides the window, as it decided finished_at.
      const since = new Date((await dbNow(db)).getTime() - windowMs);
      const failed = await listFailures(db, since, FAILURES_SCAN_MAX + 1);
      const read = failed.slice(0, FAILURES_SCAN_MAX);
      return { since: since.toISOString(), total: read.length, truncated: failed.length > FAILURES_SCAN_MAX, groups: groupFailures(read) };
    },
    {
      detail: {
        summary: "Failed tasks of the last day (or `since`) grouped by name and failure reason",
        tags: ["tasks"],
        parameters: queryParameters(FailuresQuery),
        responses: { 200: jsonAnswer("the groups, most failures first", FailuresJsonSchema), 422: errorAnswer("since is not a duration of at most 7d") },
      },
    },
  );
}

function sinceMs(text: string): number {
  try {
    const ms = parseDuration(text, { requireUnit: true });
    if (ms > 0 && ms <= FAILURES_SINCE_MAX_MS) return ms;
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
  }
  throw new ValidationError("the query has invalid parameters", [{ path: "/since", message: "must be a duration from 1s to 7d, e.g. 1h or 24h" }]);
}
