/**
 * task_output_chunks: the stored output of every attempt, as the worker sent it
 * (db/queries/append-output-chunks.ts). Rows go with their attempt, and so with
 * their task, when retention deletes it (ON DELETE CASCADE).
 */
import { bigint, customType, foreignKey, index, integer, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { taskAttempts } from "./task-attempts.ts";

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
});

export const taskOutputChunks = pgTable(
  "task_output_chunks",
  {
    taskId: uuid("task_id").notNull(),
    attempt: integer("attempt").notNull(),
    /** stdout or stderr. */
    stream: text("stream").notNull(),
    /** Byte offset of the chunk's first byte in the stream's whole output (dropped bytes included). */
    offset: bigint("offset", { mode: "number" }).notNull(),
    /** Where the chunk sits among all the attempt's output as it arrived (both streams): the --max-log-bytes cap keeps the first and last parts by it. */
    pos: bigint("pos", { mode: "number" }).notNull(),
    /** Bytes in data. */
    length: integer("length").notNull(),
    data: bytea("data").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.taskId, t.attempt, t.stream, t.offset] }),
    // "both" streams are read in arrival order, by pos.
    index("task_output_chunks_pos_idx").on(t.taskId, t.attempt, t.pos),
    foreignKey({ columns: [t.taskId, t.attempt], foreignColumns: [taskAttempts.taskId, taskAttempts.attempt] }).onDelete("cascade"),
  ],
);
