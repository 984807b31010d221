/**
 * Fanout (docs/placement.md): which workers a task's children are pinned to. A
 * worker counts once by name (a name is a worker's identity across sessions;
 * pinned children retry on the same name), and only when its labels match the
 * task's selector. "all" takes every such worker; a number N takes the N least
 * busy, ties by name, so N children land on N distinct workers.
 */
import { selectorMatches, type Labels } from "./labels.ts";

export type Fanout = "all" | number;

/** A live worker as fanout sees it. */
export interface FanoutCandidate {
  name: string;
  labels: Labels;
  running: number;
  concurrency: number;
}

/** Workers to pin children to, or why there are not enough. */
export type FanoutChoice = { ok: true; workers: string[] } | { ok: false; reason: string };

/**
 * @example chooseFanoutWorkers("all", { disk: "ssd" }, workers) // { ok: true, workers: ["db-1", "db-2"] }
 */
export function chooseFanoutWorkers(fanout: Fanout, selector: Labels | null, candidates: FanoutCandidate[]): FanoutChoice {
  const byName = new Map<string, FanoutCandidate>();
  for (const c of candidates) if (selectorMatches(selector, c.labels) && !byName.has(c.name)) byName.set(c.name, c);
  const matching = [...byName.values()];
  const what = selector && Object.keys(selector).length > 0 ? "live worker matches the selector" : "live worker serves the queue";
  if (matching.length === 0) return { ok: false, reason: `no ${what}` };
  if (fanout === "all") return { ok: true, workers: matching.map((c) => c.name).sort() };
  if (matching.length < fanout) return { ok: false, reason: `fanout ${fanout} needs ${fanout} workers, but only ${matching.length} ${matching.length === 1 ? what : what.replace("worker matches", "workers match").replace("worker serves", "workers serve")}` };
  const load = (c: FanoutCandidate) => c.running / Math.max(1, c.concurrency);
  return { ok: true, workers: matching.sort((a, b) => load(a) - load(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).slice(0, fanout).map((c) => c.name) };
}
