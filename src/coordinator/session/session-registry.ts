/** The worker sessions connected to this coordinator, by worker id. */
import type { WorkerSession } from "./worker-session.ts";

export class SessionRegistry {
  private readonly sessions = new Map<string, WorkerSession>();
  private rotation = 0;
  /**
   * Sessions whose row exists but whose Hello is still being answered, with when the
   * Hello came (performance.now()). The liveness monitor records them as heard: in a
   * storm of Hellos (a fleet joining, a coordinator restarting) answering one can take
   * longer than the worker timeout, and a silent row would be declared dead meanwhile.
   */
  private readonly opening = new Map<string, number>();
  /**
   * Sessions whose stream ended since the liveness monitor's last pass, with when they
   * were last heard: their last heartbeats are recorded by that pass (it writes them in
   * one statement per pass), so a worker is never judged by an older one.
   */
  private readonly departed = new Map<string, { id: string; heardAt: number }>();

  add(s: WorkerSession): void {
    this.sessions.get(s.id)?.close(10 /* ABORTED */, "superseded by a newer connection of the same worker");
    this.sessions.set(s.id, s);
    this.opening.delete(s.id);
  }

  /** A session's row was written and its Hello (heard at `helloAt`) is still being answered. */
  beginOpening(id: string, helloAt: number): void {
    this.opening.set(id, helloAt);
  }

  /** The Hello was answered (the session was added) or given up. */
  endOpening(id: string): void {
    this.opening.delete(id);
  }

  /** Every session this coordinator hears, opening and just departed ones included: what the liveness monitor records. */
  heard(): Array<{ id: string; heardAt: number; running?: number }> {
    const out: Array<{ id: string; heardAt: number; running?: number }> = [...this.sessions.values()].map((s) => ({ id: s.id, heardAt: s.heardAt, running: s.running }));
    for (const [id, heardAt] of this.opening) if (!this.sessions.has(id)) out.push({ id, heardAt });
    for (const d of this.departed.values()) if (!this.sessions.has(d.id) && !this.opening.has(d.id)) out.push({ ...d });
    return out;
  }

  remove(s: WorkerSession): void {
    if (this.sessions.get(s.id) !== s) return;
    this.sessions.delete(s.id);
    // Its running count is left as it is: the session may have ended by leaving.
    this.departed.set(s.id, { id: s.id, heardAt: s.heardAt });
  }

  /** The liveness monitor recorded these sessions as heard then: departed ones need not be recorded again. */
  recorded(heard: Iterable<{ id: string; heardAt: number }>): void {
    for (const h of heard) if (this.departed.get(h.id)?.heardAt === h.heardAt) this.departed.delete(h.id);
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
