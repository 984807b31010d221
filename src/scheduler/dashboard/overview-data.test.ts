import { expect, test } from "bun:test";
import type { TaskStatus } from "../../core/task-status.ts";
import type { Db } from "../../db/client.ts";
import { FINISHED_COUNT_CAP, type FinishedCounts } from "../../db/queries/metrics-snapshot.ts";
import { StatusCounts } from "../../../views/fragments/status-counts.tsx";
import { CAPPED_RECOUNT_MS, CappedFinishedCounts } from "./overview-data.ts";

const CAP = FINISHED_COUNT_CAP;

test("a finished status at the cap is counted again only every CAPPED_RECOUNT_MS; the others on every load", async () => {
  let now = 0;
  const asked: string[][] = [];
  const truth: FinishedCounts = { completed: CAP, failed: 7, cancelled: 0 };
  const count = async (_db: Db, cap = CAP, statuses: readonly TaskStatus[] = ["completed", "failed", "cancelled"]) => {
    asked.push([...statuses]);
    const out: FinishedCounts = { completed: 0, failed: 0, cancelled: 0 };
    for (const s of statuses) out[s as keyof FinishedCounts] = Math.min(cap, truth[s as keyof FinishedCounts]);
    return out;
  };
  const counts = new CappedFinishedCounts(count, () => now);
  const db = {} as Db;
  expect(await counts.read(db)).toEqual(truth);
  truth.failed = 8;
  now += CAPPED_RECOUNT_MS - 1;
  expect(await counts.read(db)).toEqual({ completed: CAP, failed: 8, cancelled: 0 });
  now += 1;
  expect(await counts.read(db)).toEqual({ completed: CAP, failed: 8, cancelled: 0 });
  expect(asked).toEqual([
    ["completed", "failed", "cancelled"],
    ["failed", "cancelled"],
    ["completed", "failed", "cancelled"],
  ]);
});

test("counts at the cap read as a lower bound, finished statuses only, and still link to their list", () => {
  const counts: Record<TaskStatus, number> = { created: 0, scheduled: 250_000, picked: 0, running: 2, completed: CAP, failed: 20_000, cancelled: 0 };
  const html = StatusCounts({ counts, cap: CAP }) as string;
  expect(html).toContain('href="/tasks?status=completed" title="counted up to 100,000"><span class="count-n">100,000+</span>');
  expect(html).toContain('href="/tasks?status=failed"><span class="count-n">20,000</span>');
  expect(html).toContain('href="/tasks?status=scheduled"><span class="count-n">250,000</span>');
  expect(html).toMatch(/href="\/tasks"[^>]*><span class="count-n">370,002\+<\/span>/);
  const small = StatusCounts({ counts: { ...counts, completed: 3 }, cap: CAP }) as string;
  expect(small).not.toContain("+");
});
