/**
 * The process's single change feed: one LISTEN on the task, worker and schedule
 * channels, fanned out to the metrics, every dashboard and every event stream.
 *
 * Notifications carry what counting needs (see TaskChange), so the feed loads
 * the changed task and worker rows only while someone reads them: a live task
 * list or an /api/events client (subscribers with `rows`), for ROWS_LINGER_MS
 * after the last of them left (a reconnect resumes with rows), and after a page
 * that is about to stream was rendered (holdRows). With no such reader, a busy
 * cluster costs this process no query at all. While rows are read, loads are
 * coalesced: one query (by `id = any($1)`, one statement text) for whatever
 * arrived, at most every LOAD_INTERVAL_MS, the first after a quiet spell at once,
 * however many clients watch.
 *
 * Recent batches are kept, bounded in batches and in estimated bytes, so a
 * reconnecting client can resume after its Last-Event-ID; a kept batch whose rows
 * were not loaded tells a row reader to start over instead (`rowsLoaded`).
 * Positions in the feed (`epoch` and `seq`) are what every SSE stream uses as
 * event ids (see feed-position.ts).
 */
import { coerceError } from "../../core/errors.ts";
import type { Service } from "../../core/lifecycle.ts";
import type { Database } from "../../db/client.ts";
import { parsePayload, SCHEDULE_CHANNEL, TASK_CHANNEL, taskChangesOf, WORKER_CHANNEL, type ScheduleChange, type TaskChange, type TaskNotice, type WorkerChange } from "../../db/channels.ts";
import type { FailureFacts } from "../../db/queries/load-failure-facts.ts";
import { loadFeedRows, type FeedRows } from "../../db/queries/load-feed-rows.ts";
import type { TaskRow, WorkerRow } from "../../db/schema/index.ts";
import type { Logger } from "../../log/logger.ts";

export interface FeedBatch {
  /** Increasing per process; SSE event ids. */
  seq: number;
  /** Every transition, in order (a task may appear more than once). */
  taskChanges: TaskChange[];
  /** The latest row of each changed task (empty unless rowsLoaded). */
  tasks: Map<string, TaskRow>;
  /** What the current attempt of each loaded task with an error says: its failure reason's facts (empty unless rowsLoaded). */
  failures: Map<string, FailureFacts>;
  workerChanges: WorkerChange[];
  /** The latest row of each changed worker session (empty unless rowsLoaded). */
  workers: Map<string, WorkerRow>;
  /** Schedules created, edited, deleted or ticked, in order (no rows loaded). */
  scheduleChanges: ScheduleChange[];
  /** Whether the rows were loaded: always while a subscriber reads rows; a replayed batch may lack them. */
  rowsLoaded: boolean;
}

export type FeedListener = (batch: FeedBatch) => void;

export interface SubscribeOptions {
  /** First replay the kept batches newer than this seq. */
  afterSeq?: number;
  /** The listener reads `tasks` and `workers`: batches are loaded with rows while it is subscribed. */
  rows?: boolean;
}

type Notice = { kind: "task"; change: TaskChange } | { kind: "worker"; change: WorkerChange } | { kind: "schedule"; change: ScheduleChange };

/** While rows are read, one load starts at most this often (the first after a quiet spell at once). */
export const LOAD_INTERVAL_MS = 50;
/** Rows are still loaded this long after the last row reader left, or after holdRows(): reconnects and streams of fresh pages resume with rows. */
export const ROWS_LINGER_MS = 30_000;
/** The history kept for resuming clients: at most this many batches… */
export const HISTORY_MAX_BATCHES = 1000;
/** …and at most about this many bytes of changes and rows (estimated; see approxBytes). */
export const HISTORY_MAX_BYTES = 8 * 1024 * 1024;

/** Retry delays after a failed load: 50 ms doubling to 2 s (the database blinked; rows must not be skipped). */
const RETRY_BASE_MS = 50;
const RETRY_MAX_MS = 2000;

export class ChangeFeed implements Service {
  readonly name = "change-feed";
  /** Random per feed (so per process): tells this feed's positions from another process's or an earlier run's, since seq restarts at 0. */
  readonly epoch = crypto.randomUUID().slice(0, 8);
  private readonly listeners = new Set<FeedListener>();
  private readonly history: { batch: FeedBatch; bytes: number }[] = [];
  private historyBytes = 0;
  private seq = 0;
  private unlisten: (() => Promise<void>)[] = [];
  /** Notices heard and not yet published, in order. */
  private pending: Notice[] = [];
  /** A publish is queued or a load is under way: later notices wait for the next, so batches keep their order. */
  private busy = false;
  private loadTimer: Timer | undefined;
  private lastLoadAt = Number.NEGATIVE_INFINITY;
  private rowReaders = 0;
  private rowsWantedUntil = 0;
  private stopped = false;
  /** Row loads made (for tests and the query-cost evidence). */
  loads = 0;

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async start(): Promise<void> {
    this.unlisten = [
      await this.database.listen(TASK_CHANNEL, (p) => this.hear(taskChangesOf(parsePayload<TaskNotice>(p)).map((change) => ({ kind: "task", change }) as const))),
      await this.database.listen(WORKER_CHANNEL, (p) => this.hear(parsePayload<WorkerChange>(p).map((change) => ({ kind: "worker", change }) as const))),
      await this.database.listen(SCHEDULE_CHANNEL, (p) => this.hear(parsePayload<ScheduleChange>(p).map((change) => ({ kind: "schedule", change }) as const))),
    ];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.loadTimer);
    for (const u of this.unlisten.splice(0)) await u().catch(() => {});
    this.pending = [];
    this.listeners.clear();
  }

  /** The newest batch's seq (0 before any). */
  get lastSeq(): number {
    return this.seq;
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Whether batches are loaded with rows now. */
  get rowsWanted(): boolean {
    return this.rowReaders > 0 || this.now() < this.rowsWantedUntil;
  }

  /**
   * Subscribes; with `afterSeq`, first replays the kept batches newer than it
   * (a row reader checks their `rowsLoaded`). Returns the unsubscribe function.
   */
  subscribe(listener: FeedListener, opts: SubscribeOptions = {}): () => void {
    if (opts.afterSeq !== undefined) for (const { batch } of this.history) if (batch.seq > opts.afterSeq) listener(batch);
    // A distinct function per subscription, so one listener subscribed twice is two subscribers.
    const entry: FeedListener = (b) => listener(b);
    this.listeners.add(entry);
    if (opts.rows) this.rowReaders++;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.listeners.delete(entry);
      if (opts.rows && --this.rowReaders === 0) this.holdRows();
    };
  }

  /** Loads rows for at least `ms` from now: a page just rendered will follow the feed from its position. */
  holdRows(ms = ROWS_LINGER_MS): void {
    this.rowsWantedUntil = Math.max(this.rowsWantedUntil, this.now() + ms);
  }

  private hear(notices: Notice[]): void {
    if (this.stopped || notices.length === 0) return;
    for (const n of notices) this.pending.push(n);
    this.schedule();
  }

  /**
   * Publishes what is pending: at the end of this tick (so the chunks of one
   * commit make one batch), without rows, or with rows once LOAD_INTERVAL_MS has
   * passed since the last load started.
   */
  private schedule(): void {
    if (this.busy || this.pending.length === 0 || this.stopped) return;
    this.busy = true;
    queueMicrotask(() => {
      if (this.stopped) return;
      if (!this.rowsWanted) {
        this.publish(this.pending.splice(0), null);
        this.busy = false;
        return;
      }
      const wait = this.lastLoadAt + LOAD_INTERVAL_MS - this.now();
      if (wait <= 0) void this.loadAndPublish();
      else this.loadTimer = setTimeout(() => void this.loadAndPublish(), wait);
    });
  }

  private async loadAndPublish(): Promise<void> {
    this.loadTimer = undefined;
    this.lastLoadAt = this.now();
    const notices = this.pending.splice(0);
    const rows = await this.loadRows(notices);
    if (rows) this.publish(notices, rows);
    this.busy = false;
    this.schedule();
  }

  /** The rows of the changed tasks and workers, retried until loaded; null once stopped. */
  private async loadRows(notices: Notice[]): Promise<FeedRows | null> {
    const taskIds = [...new Set(notices.flatMap((n) => (n.kind === "task" ? [n.change.id] : [])))];
    const workerIds = [...new Set(notices.flatMap((n) => (n.kind === "worker" ? [n.change.id] : [])))];
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        this.loads++;
        return await loadFeedRows(this.database.db, taskIds, workerIds);
      } catch (err) {
        if (this.stopped) break;
        this.log.warn("change feed could not load rows: {error}", { error: coerceError(err).message });
        await Bun.sleep(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1)));
      }
    }
    return null;
  }

  private publish(notices: Notice[], rows: FeedRows | null): void {
    // One pass (a batch submit brings 2000 task changes): no per-notice arrays.
    const taskChanges: TaskChange[] = [];
    const workerChanges: WorkerChange[] = [];
    const scheduleChanges: ScheduleChange[] = [];
    for (const n of notices) {
      if (n.kind === "task") taskChanges.push(n.change);
      else if (n.kind === "worker") workerChanges.push(n.change);
      else scheduleChanges.push(n.change);
    }
    const batch: FeedBatch = {
      seq: ++this.seq,
      taskChanges,
      tasks: new Map(rows?.tasks.map((t) => [t.id, t])),
      failures: rows?.failures ?? new Map(),
      workerChanges,
      workers: new Map(rows?.workers.map((w) => [w.id, w])),
      scheduleChanges,
      rowsLoaded: rows !== null,
    };
    this.remember(batch);
    for (const l of this.listeners) {
      try {
        l(batch);
      } catch (err) {
        this.log.warn("a change feed subscriber failed: {error}", { error: coerceError(err).message });
      }
    }
  }

  private remember(batch: FeedBatch): void {
    const bytes = approxBytes(batch);
    this.history.push({ batch, bytes });
    this.historyBytes += bytes;
    while (this.history.length > HISTORY_MAX_BATCHES || (this.historyBytes > HISTORY_MAX_BYTES && this.history.length > 1)) {
      this.historyBytes -= this.history.shift()!.bytes;
    }
  }
}

/** Roughly what a kept batch holds in memory: a fixed cost per change and row, plus its strings (UTF-16). */
export function approxBytes(b: FeedBatch): number {
  let n = 200 + 150 * (b.taskChanges.length + b.workerChanges.length + b.scheduleChanges.length);
  for (const t of b.tasks.values()) {
    n += 600 + 2 * (t.name.length + t.command.length + (t.error?.length ?? 0) + (t.worker?.length ?? 0));
    for (const [k, v] of Object.entries(t.env)) n += 2 * (k.length + v.length) + 50;
  }
  for (const f of b.failures.values()) n += 100 + 2 * ((f.error?.length ?? 0) + (f.stderrLastLine?.length ?? 0));
  return n + 800 * b.workers.size;
}
