/**
 * The process's single change feed: one LISTEN on the task, worker and schedule
 * channels, fanned out to every dashboard and event stream. Each burst of
 * notifications loads the changed task and worker rows once (one query, however
 * many clients), so 100 open dashboards cost the database what one does.
 * Schedule changes are passed on without rows: the only reader (the dashboard's
 * schedules list) reloads its own shared, throttled snapshot. Recent batches are
 * kept so a reconnecting client can resume after its Last-Event-ID.
 */
import { inArray } from "drizzle-orm";
import type { Service } from "../core/lifecycle.ts";
import { MicroBatcher } from "../core/micro-batcher.ts";
import type { Database } from "../db/client.ts";
import { parsePayload, TASK_CHANNEL, WORKER_CHANNEL, type TaskChange, type WorkerChange } from "../db/channels.ts";
import { SCHEDULE_CHANNEL, type ScheduleChange } from "../db/queries/schedule-channel.ts";
import { tasks, workers, type TaskRow, type WorkerRow } from "../db/schema/index.ts";
import type { Logger } from "../log/logger.ts";

export interface FeedBatch {
  /** Increasing per process; SSE event ids. */
  seq: number;
  /** Every transition, in order (a task may appear more than once). */
  taskChanges: TaskChange[];
  /** The latest row of each changed task. */
  tasks: Map<string, TaskRow>;
  workerChanges: WorkerChange[];
  workers: Map<string, WorkerRow>;
  /** Schedules created, edited, deleted or ticked, in order (no rows loaded). */
  scheduleChanges: ScheduleChange[];
}

export type FeedListener = (batch: FeedBatch) => void;

type Notice = { kind: "task"; change: TaskChange } | { kind: "worker"; change: WorkerChange } | { kind: "schedule"; change: ScheduleChange };

/** Batches kept for resuming clients. */
const HISTORY = 500;

export class ChangeFeed implements Service {
  readonly name = "change-feed";
  private readonly listeners = new Set<FeedListener>();
  private readonly history: FeedBatch[] = [];
  private seq = 0;
  private unlisten: (() => Promise<void>)[] = [];
  private readonly loader: MicroBatcher<Notice, void>;

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
  ) {
    this.loader = new MicroBatcher<Notice, void>((notices) => this.publish(notices), {
      maxBatch: 5000,
      onRetry: (err) => this.log.warn("change feed could not load rows: {error}", { error: String((err as Error)?.message ?? err) }),
    });
  }

  async start(): Promise<void> {
    this.unlisten = [
      await this.database.listen(TASK_CHANNEL, (p) => {
        for (const change of parsePayload<TaskChange>(p)) void this.loader.add({ kind: "task", change }).catch(() => {});
      }),
      await this.database.listen(WORKER_CHANNEL, (p) => {
        for (const change of parsePayload<WorkerChange>(p)) void this.loader.add({ kind: "worker", change }).catch(() => {});
      }),
      await this.database.listen(SCHEDULE_CHANNEL, (p) => {
        for (const change of parsePayload<ScheduleChange>(p)) void this.loader.add({ kind: "schedule", change }).catch(() => {});
      }),
    ];
  }

  async stop(): Promise<void> {
    for (const u of this.unlisten.splice(0)) await u().catch(() => {});
    this.loader.close();
    this.listeners.clear();
  }

  /** The newest batch's seq (0 before any). */
  get lastSeq(): number {
    return this.seq;
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Subscribes; with `afterSeq`, first replays kept batches newer than it. Returns the unsubscribe function. */
  subscribe(listener: FeedListener, afterSeq?: number): () => void {
    if (afterSeq !== undefined) for (const b of this.history) if (b.seq > afterSeq) listener(b);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async publish(notices: Notice[]): Promise<void[]> {
    const taskChanges = notices.flatMap((n) => (n.kind === "task" ? [n.change] : []));
    const workerChanges = notices.flatMap((n) => (n.kind === "worker" ? [n.change] : []));
    const scheduleChanges = notices.flatMap((n) => (n.kind === "schedule" ? [n.change] : []));
    const taskIds = [...new Set(taskChanges.map((c) => c.id))];
    const workerIds = [...new Set(workerChanges.map((c) => c.id))];
    const db = this.database.db;
    const [taskRows, workerRows] = await Promise.all([
      taskIds.length ? db.select().from(tasks).where(inArray(tasks.id, taskIds)) : [],
      workerIds.length ? db.select().from(workers).where(inArray(workers.id, workerIds)) : [],
    ]);
    const batch: FeedBatch = {
      seq: ++this.seq,
      taskChanges,
      tasks: new Map(taskRows.map((t) => [t.id, t])),
      workerChanges,
      workers: new Map(workerRows.map((w) => [w.id, w])),
      scheduleChanges,
    };
    this.history.push(batch);
    if (this.history.length > HISTORY) this.history.shift();
    for (const l of this.listeners) {
      try {
        l(batch);
      } catch (err) {
        this.log.warn("a change feed subscriber failed: {error}", { error: String(err) });
      }
    }
    return notices.map(() => undefined);
  }
}
