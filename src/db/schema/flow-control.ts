/** Flow-control state (docs/flow-control.md): paused queues, concurrency-key counters, run-after edges. */
import { sql } from "drizzle-orm";
import { boolean, index, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

const tz = { withTimezone: true, precision: 6 } as const;

/** queues: one row per queue that ever had a task or was paused; the claim reads `paused`. */
export const queues = pgTable("queues", {
  name: text("name").primaryKey(),
  /** A paused queue's tasks are not claimed; running ones finish. */
  paused: boolean("paused").notNull().default(false),
  pausedAt: timestamp("paused_at", tz),
  updatedAt: timestamp("updated_at", tz).notNull().defaultNow(),
});

/**
 * concurrency_keys: per key, how many tasks hold it (picked or running) and wait for it.
 * Kept by a trigger on tasks (every writer counts), and locked by the claim, so two
 * coordinators cannot both take the last slot.
 */
export const concurrencyKeys = pgTable("concurrency_keys", {
  key: text("key").primaryKey(),
  /** Tasks with this key that are picked or running. */
  active: integer("active").notNull().default(0),
  /** Tasks with this key that are created or scheduled. */
  waiting: integer("waiting").notNull().default(0),
  /** The limit of the most recently submitted task with this key. */
  lim: integer("lim").notNull().default(1),
}, (t) => [
  // The claim's door to keyed tasks: only keys with a free slot and something waiting.
  index("concurrency_keys_free_idx").on(t.key).where(sql`waiting > 0 and active < lim`),
]);

/** task_dependencies: task_id runs after depends_on has finished. */
export const taskDependencies = pgTable("task_dependencies", {
  taskId: uuid("task_id").notNull(),
  dependsOn: uuid("depends_on").notNull(),
  /** Set when depends_on finished (once, even if it is retried and finishes again). */
  done: boolean("done").notNull().default(false),
}, (t) => [
  primaryKey({ columns: [t.taskId, t.dependsOn] }),
  index("task_dependencies_depends_on_idx").on(t.dependsOn).where(sql`not done`),
]);
