/** The child rows of fanout parents (docs/placement.md): one per chosen worker, pinned to it. */
import type { RowJson } from "./row-plan.ts";

/** Each parent's children, otherwise the parent's definition; made only with the parent (insertTasks). */
export function fanoutChildren(rows: RowJson[]): RowJson[] {
  // A batch without fanout (nearly all) allocates nothing here.
  if (!rows.some((p) => p.fanout_workers?.length)) return [];
  return rows.flatMap((p) =>
    (p.fanout_workers ?? []).map((worker) => ({
      ...p,
      id: crypto.randomUUID(),
      name: childName(p.name, worker),
      idempotency_key: null,
      depends_on: [],
      blocked_by: 0,
      has_dependents: false,
      fanout: null,
      fanout_workers: undefined,
      pinned_worker: worker,
      parent_id: p.id,
      created_by: null,
    })),
  );
}

/** "backup on db-1", within the name limit. */
function childName(parent: string, worker: string): string {
  const suffix = ` on ${worker}`;
  return parent.length + suffix.length <= 200 ? parent + suffix : `${parent.slice(0, Math.max(1, 199 - suffix.length))}…${suffix}`.slice(0, 200);
}
