/**
 * appendOutputChunks: stores output that workers sent, fenced like results: a chunk
 * lands only while its attempt is open (no finished_at) on the worker session that
 * sent it, so output of a lost, fenced or foreign attempt is refused. Per attempt at
 * most `maxLogBytes` are kept: the first half and the newest half of everything
 * that arrived (by `pos`, the chunk's place in the attempt's arrival order); the
 * middle is deleted as the tail moves on, which leaves a gap in the offsets that
 * readers report as dropped bytes. One statement per batch, which also notifies
 * followers (OUTPUT_CHANNEL) of the attempts that got output.
 */
import { sql } from "drizzle-orm";
import { attemptKey, type AttemptRef } from "../../core/attempt.ts";
import { chunkPayloads, OUTPUT_CHANNEL } from "../channels.ts";
import { executePrepared } from "../client.ts";
import { type Executor, rows } from "../sql.ts";

export type OutputStreamName = "stdout" | "stderr";

/** One chunk as the worker sent it, with the session it came on. */
export interface OutputChunkWrite extends AttemptRef {
  stream: OutputStreamName;
  offset: number;
  data: Uint8Array;
}

/** Stores the chunks that pass the fence; returns the keys of the attempts whose chunks were accepted. */
export async function appendOutputChunks(db: Executor, chunks: OutputChunkWrite[], maxLogBytes: number): Promise<Set<string>> {
  if (chunks.length === 0) return new Set();
  const half = Math.floor(maxLogBytes / 2);
  const input = JSON.stringify(
    chunks.map((c, ord) => ({
      ord,
      task_id: c.taskId,
      attempt: c.attempt,
      worker_id: c.workerId,
      stream: c.stream,
      offset: c.offset,
      n: c.data.length,
      data: Buffer.from(c.data.buffer, c.data.byteOffset, c.data.length).toString("base64"),
    })),
  );
  const attempts = [...new Set(chunks.map((c) => `${c.taskId}:${c.attempt}`))];
  const result = await executePrepared(db, sql`
    with input as (
      select * from jsonb_to_recordset(${input}::jsonb) as i(
        ord int, task_id uuid, attempt int, worker_id uuid, stream text, "offset" bigint, n int, data text)
    ), fenced as (
      select i.*, a.output_bytes as base
      from input i
      join task_attempts a on a.task_id = i.task_id and a.attempt = i.attempt and a.worker_id = i.worker_id and a.finished_at is null
    ), placed as (
      select f.*,
             f.base + sum(f.n) over (partition by f.task_id, f.attempt order by f.ord) - f.n as pos,
             f.base + sum(f.n) over (partition by f.task_id, f.attempt) as total
      from fenced f
    ), kept as (
      insert into task_output_chunks (task_id, attempt, stream, "offset", pos, length, data)
      select p.task_id, p.attempt, p.stream, p."offset", p.pos, p.n, decode(p.data, 'base64')
      from placed p
      -- Chunks that are already the middle of an over-cap log are never stored.
      where p.pos < ${half}::bigint or p.pos + p.n > p.total - ${half}::bigint
      on conflict do nothing
      returning task_id
    ), totals as (
      select distinct task_id, attempt, total from placed
    ), trimmed as (
      delete from task_output_chunks c
      using totals t
      where t.total > ${maxLogBytes}::bigint and c.task_id = t.task_id and c.attempt = t.attempt
        and c.pos >= ${half}::bigint and c.pos + c.length <= t.total - ${half}::bigint
      returning c.task_id
    ), counted as (
      update task_attempts a set output_bytes = t.total
      from totals t where a.task_id = t.task_id and a.attempt = t.attempt
      returning a.task_id
    ), notified as (
      select pg_notify(${OUTPUT_CHANNEL}, p) from jsonb_array_elements_text(${JSON.stringify(chunkPayloads(attempts))}::jsonb) as p
      where exists (select 1 from totals)
    )
    select t.task_id, t.attempt, (select count(*) from notified) as notified,
           (select count(*) from kept) + (select count(*) from trimmed) + (select count(*) from counted) as written
    from totals t`);
  return new Set(rows<{ task_id: string; attempt: number }>(result).map((r) => attemptKey(r.task_id, Number(r.attempt))));
}
