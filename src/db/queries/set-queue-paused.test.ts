/**
 * setQueuePaused against claims in flight, on PostgreSQL (PGlite serves one
 * connection, so there a pause and a claim can never overlap).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { backends, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { openDatabase, type Database } from "../client.ts";
import { rows } from "../sql.ts";
import { setQueuePaused } from "./set-queue-paused.ts";

for (const backend of backends().filter((b) => b === "postgres")) {
  describe(`setQueuePaused [${backend}]`, () => {
    let d: TestDatabase;
    let claimer: Database;
    beforeAll(async () => {
      d = await openTestDatabase(backend);
      claimer = await openDatabase({ databaseUrl: d.url!, dataDir: "", onNotice: () => {} });
    });
    afterAll(async () => {
      await claimer?.close();
      await d?.close();
    });

    test("a pause waits for a claim in flight on its queue (the claim's key-share lock) and takes effect after it", async () => {
      await setQueuePaused(d.db, "busy", false);
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let claimStartedAt!: Date;
      let locked!: () => void;
      const holding = new Promise<void>((r) => (locked = r));
      // What claim-due-tasks.ts's open_queues CTE holds until its transaction commits.
      const claim = claimer.db.transaction(async (tx) => {
        const [row] = rows<{ at: string | Date }>(await tx.execute(sql`select now() as at from queues where name = 'busy' and not paused for key share`));
        claimStartedAt = new Date(row!.at);
        locked();
        await released;
      });
      await holding;
      let settled = false;
      const pausing = setQueuePaused(d.db, "busy", true).finally(() => (settled = true));
      // The pause must block on the claim's lock: seen as a backend waiting for a lock.
      const deadline = Date.now() + 10_000;
      let waiting = 0;
      while (waiting === 0 && Date.now() < deadline && !settled) {
        waiting = Number(rows<{ n: number }>(await claimer.db.execute(sql`
          select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0]!.n);
        if (waiting === 0) await Bun.sleep(10);
      }
      expect(settled).toBe(false);
      expect(waiting).toBe(1);
      release();
      await claim;
      const state = await pausing;
      expect(state.paused).toBe(true);
      expect(state.pausedAt!.getTime()).toBeGreaterThan(claimStartedAt.getTime());
    });
  });
}
