/** listFanoutCandidates: the live workers serving a queue, with their labels and load, for fanout (core/fanout.ts). */
import { sql } from "drizzle-orm";
import type { FanoutCandidate } from "../../core/fanout.ts";
import { type Executor, rows } from "../sql.ts";

interface CandidateRow {
  name: string;
  labels: Record<string, string> | string;
  running: number | string;
  concurrency: number | string;
}

/** Alive (not draining, not dead) workers that take tasks from `queue`. */
export async function listFanoutCandidates(db: Executor, queue: string): Promise<FanoutCandidate[]> {
  const found = rows<CandidateRow>(
    await db.execute(sql`select name, labels, running, concurrency from workers where status = 'alive' and ${queue} = any(queues) order by name, started_at desc`),
  );
  return found.map((r) => ({
    name: r.name,
    labels: typeof r.labels === "string" ? JSON.parse(r.labels) : r.labels,
    running: Number(r.running),
    concurrency: Number(r.concurrency),
  }));
}
