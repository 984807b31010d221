/**
 * The output shown on a task page: the newest part of each recent attempt's
 * stored log (both streams, in arrival order), rendered once to safe HTML with
 * its ANSI colours (views/ansi-html.ts), with the offset a live follower of the
 * page continues from.
 */
import type { Db } from "../../db/client.ts";
import type { TaskDetail } from "../../db/queries/get-task.ts";
import { readOutput, type OutputPiece } from "../../db/queries/read-output.ts";
import { AnsiHtml } from "../../../views/ansi-html.ts";

/** How much of a log a page shows at first; Download has the rest. */
export const PAGE_LOG_BYTES = 64 * 1024;
/** Attempts whose logs a page shows (the newest); older ones show their tails. */
const PAGE_LOG_ATTEMPTS = 5;

export interface AttemptLogView {
  /** The log as safe HTML: spans per stream (log-stdout, log-stderr) with ANSI classes inside. */
  html: string;
  /** Offset (both streams) of the first byte shown; > 0 when older output is only in the download. */
  start: number;
  /** Offset after the last byte shown: where a live follower continues. */
  end: number;
  /** Bytes of this log not kept (the worker's buffer or --max-log-bytes). */
  droppedBytes: number;
  /** Whether any output was stored at all (attempts from before live output have only tails). */
  stored: boolean;
}

/** The log views of a task's newest attempts, by attempt number. */
export async function loadAttemptLogs(db: Db, detail: TaskDetail): Promise<Map<number, AttemptLogView>> {
  const recent = detail.attempts.slice(-PAGE_LOG_ATTEMPTS);
  const views = await Promise.all(
    recent.map(async (a) => {
      const read = await readOutput(db, { taskId: detail.task.id, attempt: a.attempt, stream: "both", from: 0, limit: PAGE_LOG_BYTES * 2, tailBytes: PAGE_LOG_BYTES });
      return [a.attempt, read ? logView(read.pieces, read.end, read.droppedBytes) : null] as const;
    }),
  );
  return new Map(views.filter((v): v is readonly [number, AttemptLogView] => v[1] !== null));
}

/** Renders pieces of a log as the page shows them (and as its live stream appends them). */
export function logView(pieces: OutputPiece[], end: number, droppedBytes: number): AttemptLogView {
  const html = new LogHtml();
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  let out = "";
  for (const p of pieces) out += html.piece(p.stream, decoders[p.stream].decode(p.data, { stream: true }), 0);
  return { html: out, start: pieces[0]?.offset ?? end, end: pieces.at(-1) ? pieces.at(-1)!.offset + pieces.at(-1)!.data.length : end, droppedBytes, stored: end > 0 };
}

/** A log's pieces as HTML, keeping each stream's colour state from piece to piece. */
export class LogHtml {
  readonly #ansi = { stdout: new AnsiHtml(), stderr: new AnsiHtml() };

  /** One piece; `skipped` bytes before it that were not kept get a visible mark. */
  piece(stream: "stdout" | "stderr", text: string, skipped: number): string {
    const gap = skipped > 0 ? `<span class="log-gap">[… ${skipped} bytes not kept …]</span>\n` : "";
    return `${gap}<span class="log-${stream}">${this.#ansi[stream].render(text)}</span>`;
  }
}
