/** What the last attempt of each failed (or retrying) task of a page says, for the API's list and the dashboard's. */
import type { Db } from "../../db/client.ts";
import { loadFailureFacts, type FailureFacts } from "../../db/queries/load-failure-facts.ts";
import type { TaskRow } from "../../db/schema/index.ts";

/** Facts by task id; tasks whose last attempt did not end in an error have none. */
export function failureFacts(db: Db, list: TaskRow[]): Promise<Map<string, FailureFacts>> {
  return loadFailureFacts(db, list.filter((t) => t.error !== null).map((t) => t.id));
}
