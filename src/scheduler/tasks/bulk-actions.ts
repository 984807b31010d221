/**
 * Bulk cancel and retry: walk the tasks a filter (or a list of ids) selects,
 * newest first, in batches of BULK_BATCH_SIZE, each batch its own short
 * transaction (db/queries/cancel-tasks.ts, retry-tasks.ts), so cancelling 100,000
 * tasks never holds more than one batch's row locks. Each task changes exactly as
 * its single action would change it: the same events, webhooks and kills.
 */
import type { TaskStatus } from "../../core/task-status.ts";
import type { Db } from "../../db/client.ts";
import { cancelTasks, CANCELLABLE_STATUSES } from "../../db/queries/cancel-tasks.ts";
import { countBulkTargets } from "../../db/queries/count-bulk-targets.ts";
import { findTaskBatch } from "../../db/queries/find-task-batch.ts";
import { retryTasks, RETRYABLE_STATUSES } from "../../db/queries/retry-tasks.ts";
import type { BulkRequest } from "./bulk-body.ts";

/** Tasks locked and changed per transaction. */
export const BULK_BATCH_SIZE = 500;

export interface BulkAction {
  /** The statuses the action applies to; the rest are skipped. */
  statuses: readonly TaskStatus[];
  /** Changes the tasks of `ids` that are still in those statuses; returns how many changed. */
  apply: (db: Db, ids: readonly string[]) => Promise<number>;
}

export const cancelAction = (by: string): BulkAction => ({ statuses: CANCELLABLE_STATUSES, apply: (db, ids) => cancelTasks(db, ids, `cancelled by ${by}`) });
export const retryAction = (by: string): BulkAction => ({ statuses: RETRYABLE_STATUSES, apply: (db, ids) => retryTasks(db, ids, by) });

export interface BulkResult {
  changed: number;
  skipped: number;
  dry_run: boolean;
}

export async function runBulkAction(db: Db, action: BulkAction, req: BulkRequest): Promise<BulkResult> {
  const filter = req.filter;
  // The filter's statuses narrowed to those the action applies to: a filter on only finished tasks changes nothing.
  const statuses = filter.statuses.length === 0 ? action.statuses : action.statuses.filter((s) => filter.statuses.includes(s));
  const targets = await countBulkTargets(db, filter, statuses);
  const matched = req.named ?? targets.matched;
  if (req.dryRun) return { changed: targets.changeable, skipped: matched - targets.changeable, dry_run: true };
  let changed = 0;
  let after = null;
  // A keyset walk always ends: each batch starts after the last, whatever arrives or changes meanwhile.
  if (statuses.length > 0) {
    do {
      const batch = await findTaskBatch(db, { ...filter, statuses: [...statuses], after }, BULK_BATCH_SIZE);
      changed += await action.apply(db, batch.ids);
      after = batch.next;
    } while (after !== null);
  }
  return { changed, skipped: Math.max(0, matched - changed), dry_run: false };
}
