/**
 * Why a task that has not started is not running, in words, from the claim's own
 * conditions (db/queries/claim-due-tasks.ts) in the order the claim applies them.
 * The facts come from db/queries/load-waiting-facts.ts.
 */
import { describeLabels } from "./labels.ts";

/** What the claim would look at for one scheduled task. */
export interface WaitingFacts {
  queue: string;
  /** run_at is later than the database's now(). */
  runAtFuture: boolean;
  /** Unfinished dependencies (up to a few ids) and how many there are. */
  blockedBy: number;
  dependencies: string[];
  queuePaused: boolean;
  concurrencyKey: string | null;
  /** Tasks holding the key (picked or running), their number and a few ids. */
  keyActive: number;
  keyLimit: number;
  keyHolders: string[];
  /** Alive workers serving the queue that may take it (selector and pin), their slots, and how many of those are busy. */
  workers: number;
  slots: number;
  busy: number;
  /** Placement (docs/placement.md): the task's selector and pin, and alive workers serving the queue whatever their labels. */
  selector?: Record<string, string> | null;
  pinnedWorker?: string | null;
  queueWorkers?: number;
  /** A fanout parent: it waits for its children (blockedBy counts the unfinished ones). */
  fanoutParent?: boolean;
}

/** At most this many ids are named in a reason. */
export const REASON_MAX_IDS = 5;

/**
 * The first condition that holds the task back, or null when nothing does (it is
 * about to be claimed).
 *
 * @example waitingReason({ ...facts, queuePaused: true, queue: "mail" }) // "queue mail is paused"
 */
export function waitingReason(f: WaitingFacts): string | null {
  if (f.fanoutParent) return f.blockedBy > 0 ? `fanout parent: waiting for ${f.blockedBy} ${f.blockedBy === 1 ? "child" : "children"} to start` : null;
  if (f.blockedBy > 0) return `waiting for ${f.blockedBy} ${f.blockedBy === 1 ? "task" : "tasks"} to finish: ${ids(f.dependencies, f.blockedBy)}`;
  if (f.runAtFuture) return "run_at in the future";
  if (f.queuePaused) return `queue ${f.queue} is paused`;
  if (f.concurrencyKey !== null && f.keyActive >= f.keyLimit) {
    return `concurrency key ${f.concurrencyKey} is held by ${f.keyActive} of ${f.keyLimit} allowed: ${ids(f.keyHolders, f.keyActive)}`;
  }
  if (f.workers === 0) return noWorkerReason(f);
  if (f.busy >= f.slots) return `all ${f.slots} slots of workers serving ${f.queue} are busy`;
  return null;
}

/** No worker may take it: its pinned worker is away, no serving worker matches its selector, or none serves the queue. */
function noWorkerReason(f: WaitingFacts): string {
  if (f.pinnedWorker) return `its worker ${f.pinnedWorker} is not live (a fanout child runs only there)`;
  if (f.selector && Object.keys(f.selector).length > 0 && (f.queueWorkers ?? 0) > 0) {
    return `no live worker serving queue ${f.queue} matches selector ${describeLabels(f.selector)}`;
  }
  return `no live worker serves queue ${f.queue}`;
}

function ids(shown: string[], total: number): string {
  const more = total - shown.length;
  return shown.join(", ") + (more > 0 ? ` and ${more} more` : "");
}
