/** Why each scheduled task of a page waits, for the API's list and the dashboard's (core/waiting-reason.ts words it). */
import { waitingReason } from "../../core/waiting-reason.ts";
import type { Db } from "../../db/client.ts";
import { loadWaitingFacts } from "../../db/queries/load-waiting-facts.ts";
import type { TaskRow } from "../../db/schema/index.ts";

/** Reasons by task id; tasks that are not scheduled, or that nothing holds back, have none. */
export async function waitingReasons(db: Db, list: TaskRow[]): Promise<Map<string, string | null>> {
  const facts = await loadWaitingFacts(db, list.filter((t) => t.status === "scheduled").map((t) => t.id));
  return new Map([...facts].map(([id, f]) => [id, waitingReason(f)]));
}
