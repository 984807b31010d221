/** The worker sessions connected to this coordinator, by worker id. */
import type { WorkerSession } from "./worker-session.ts";

export class SessionRegistry {
  private readonly sessions = new Map<string, WorkerSession>();
  private rotation = 0;

  add(s: WorkerSession): void {
    this.sessions.get(s.id)?.close(10 /* ABORTED */, "superseded by a newer connection of the same worker");
    this.sessions.set(s.id, s);
  }

  remove(s: WorkerSession): void {
    if (this.sessions.get(s.id) === s) this.sessions.delete(s.id);
  }

  get(id: string): WorkerSession | undefined {
    return this.sessions.get(id);
  }

  all(): WorkerSession[] {
    return [...this.sessions.values()];
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Sessions with free slots, starting at a rotating offset so no worker is always served last. */
  withFreeSlots(): WorkerSession[] {
    const list = this.all().filter((s) => s.free > 0);
    if (list.length < 2) return list;
    const k = this.rotation++ % list.length;
    return [...list.slice(k), ...list.slice(0, k)];
  }
}
