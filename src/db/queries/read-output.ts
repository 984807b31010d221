/**
 * readOutput: an attempt's stored output from an offset, as contiguous runs. For one
 * stream the offsets are byte offsets in that stream's output; for "both" they are
 * positions in the attempt's output as it arrived, stdout and stderr interleaved.
 * A gap between runs is output that was not kept (the worker's bounded buffer, or
 * the --max-log-bytes cap).
 */
import { sql } from "drizzle-orm";
import type { OutputStreamName } from "./append-output-chunks.ts";
import { executePrepared } from "../client.ts";
import { type Executor, rows } from "../sql.ts";

export type OutputSelection = OutputStreamName | "both";

/** Bytes that follow each other with no gap, from `offset`. */
export interface OutputRun {
  offset: number;
  data: Uint8Array;
}

/** One stored chunk (cut at `from`), with its stream: how "both" tells stdout from stderr. */
export interface OutputPiece extends OutputRun {
  stream: OutputStreamName;
}

export interface OutputRead {
  /** The pieces joined where they follow each other. */
  runs: OutputRun[];
  /** The same bytes chunk by chunk, in order, with their streams. */
  pieces: OutputPiece[];
  /** Offset just past the last byte stored so far (of the stream, or of both). */
  end: number;
  /** Bytes not kept, over the whole log (gaps in the offsets of the selected streams). */
  droppedBytes: number;
  /** The attempt has ended: no more output will come. */
  finished: boolean;
  /** The attempt as it stands: status (running, completed, failed, lost, cancelled…), exit code, error. */
  attempt: { status: string; exitCode: number | null; error: string | null };
}

export interface OutputQuery {
  taskId: string;
  attempt: number;
  stream: OutputSelection;
  /** Read from here. */
  from: number;
  /** Read at most this many bytes before the end instead (the newest part of the log). */
  tailBytes?: number;
  /** Stop after about this many bytes (whole chunks past `from`). */
  limit: number;
}

/** Null when the attempt does not exist. */
export async function readOutput(db: Executor, q: OutputQuery): Promise<OutputRead | null> {
  const summary = rows<{ finished: boolean; status: string; exit_code: number | null; error: string | null; output_bytes: string | number; stream_end: string | number | null; stored: string | number | null; dropped: string | number | null }>(
    await executePrepared(db, sql`
      select a.finished_at is not null as finished, a.status, a.exit_code, a.error, a.output_bytes,
             (select max(c."offset" + c.length) from task_output_chunks c
               where c.task_id = a.task_id and c.attempt = a.attempt and c.stream = ${q.stream}) as stream_end,
             (select coalesce(sum(s.dropped), 0) from (
                select max(c."offset" + c.length) - sum(c.length) as dropped from task_output_chunks c
                where c.task_id = a.task_id and c.attempt = a.attempt and (${q.stream} = 'both' or c.stream = ${q.stream})
                group by c.stream) s) as dropped,
             (select max(c.pos + c.length) from task_output_chunks c where c.task_id = a.task_id and c.attempt = a.attempt) as stored
      from task_attempts a where a.task_id = ${q.taskId}::uuid and a.attempt = ${q.attempt}`),
  )[0];
  if (!summary) return null;
  const both = q.stream === "both";
  const end = Number((both ? summary.stored : summary.stream_end) ?? 0);
  const from = q.tailBytes === undefined ? q.from : Math.max(q.from, end - q.tailBytes);
  const chunks = rows<{ key: string | number; stream: OutputStreamName; data: Uint8Array }>(
    await executePrepared(db, sql`
      select k.key, k.stream, k.data from (
        select case when ${both} then c.pos else c."offset" end as key, c.stream, c.data,
               sum(c.length) over (order by case when ${both} then c.pos else c."offset" end) - c.length as before
        from task_output_chunks c
        where c.task_id = ${q.taskId}::uuid and c.attempt = ${q.attempt}
          and (${both} or c.stream = ${q.stream})
          and case when ${both} then c.pos else c."offset" end + c.length > ${from}::bigint
      ) k
      where k.before < ${q.limit}::bigint
      order by k.key`),
  );
  const pieces = chunks.map((c) => cut({ offset: Number(c.key), stream: c.stream, data: new Uint8Array(c.data) }, from));
  return {
    runs: toRuns(pieces),
    pieces,
    end,
    droppedBytes: Number(summary.dropped ?? 0),
    finished: summary.finished,
    attempt: { status: summary.status, exitCode: summary.exit_code, error: summary.error },
  };
}

/** A chunk without its bytes before `from`. */
function cut(p: OutputPiece, from: number): OutputPiece {
  const skip = Math.max(0, from - p.offset);
  return skip > 0 ? { ...p, offset: p.offset + skip, data: p.data.subarray(skip) } : p;
}

/** Joins adjacent pieces into runs. */
function toRuns(pieces: OutputRun[]): OutputRun[] {
  const runs: Array<{ offset: number; parts: Uint8Array[]; bytes: number }> = [];
  for (const { offset, data } of pieces) {
    const last = runs.at(-1);
    if (last && last.offset + last.bytes === offset) {
      last.parts.push(data);
      last.bytes += data.length;
    } else runs.push({ offset, parts: [data], bytes: data.length });
  }
  return runs.map((r) => ({ offset: r.offset, data: Buffer.concat(r.parts) }));
}
