/** Stored output: fenced like results, capped per attempt (head and tail kept), read back by offset, deleted with its task. */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { attemptKey } from "../../core/attempt.ts";
import { describeEachBackend, openTestDatabase, type TestDatabase } from "../../../test/support/databases.ts";
import { insertTask, registerWorker } from "../../../test/support/factories.ts";
import { OUTPUT_CHANNEL } from "../channels.ts";
import { taskOutputChunks, tasks } from "../schema/index.ts";
import { appendOutputChunks, type OutputChunkWrite } from "./append-output-chunks.ts";
import { claimDueTasks } from "./claim-due-tasks.ts";
import { loseAttempts } from "./lose-attempts.ts";
import { readOutput } from "./read-output.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const CAP = 1024 * 1024;

describeEachBackend("appendOutputChunks and readOutput", (backend) => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase(backend);
  });
  afterAll(() => d.close());
  beforeEach(async () => {
    await d.db.execute(sql`truncate tasks, task_attempts, task_events, workers, task_output_chunks cascade`);
  });

  async function running() {
    const workerId = await registerWorker(d.db);
    const t = await insertTask(d.db);
    await claimDueTasks(d.db, { workerId, workerName: "w", queues: ["default"], limit: 1 });
    const chunk = (stream: "stdout" | "stderr", offset: number, s: string, attempt = 1): OutputChunkWrite => ({ taskId: t.id, attempt, workerId, stream, offset, data: bytes(s) });
    return { taskId: t.id, workerId, chunk };
  }

  test("stores an open attempt's output, reads it by stream and interleaved, and notifies followers", async () => {
    const { taskId, chunk } = await running();
    const heard: string[] = [];
    const stop = await d.listen(OUTPUT_CHANNEL, (p) => heard.push(p));
    const accepted = await appendOutputChunks(d.db, [chunk("stdout", 0, "one\n"), chunk("stderr", 0, "err\n"), chunk("stdout", 4, "two\n")], CAP);
    expect([...accepted]).toEqual([attemptKey(taskId, 1)]);
    const out = await readOutput(d.db, { taskId, attempt: 1, stream: "stdout", from: 0, limit: CAP });
    expect(out!.runs.map((r) => [r.offset, text(r.data)])).toEqual([[0, "one\ntwo\n"]]);
    expect(out!.end).toBe(8);
    expect(out!.finished).toBe(false);
    const both = await readOutput(d.db, { taskId, attempt: 1, stream: "both", from: 0, limit: CAP });
    expect(both!.runs.map((r) => text(r.data))).toEqual(["one\nerr\ntwo\n"]);
    // From an offset inside a chunk.
    const tail = await readOutput(d.db, { taskId, attempt: 1, stream: "stdout", from: 5, limit: CAP });
    expect(tail!.runs.map((r) => [r.offset, text(r.data)])).toEqual([[5, "wo\n"]]);
    const deadline = Date.now() + 5000;
    while (heard.length === 0 && Date.now() < deadline) await Bun.sleep(10);
    expect(heard.join()).toContain(`${taskId}:1`);
    await stop();
  });

  test("the fence: output of another session, of another attempt, or of a lost attempt is refused", async () => {
    const { taskId, workerId, chunk } = await running();
    const other = await registerWorker(d.db);
    expect((await appendOutputChunks(d.db, [{ ...chunk("stdout", 0, "foreign\n"), workerId: other }], CAP)).size).toBe(0);
    expect((await appendOutputChunks(d.db, [chunk("stdout", 0, "next attempt\n", 2)], CAP)).size).toBe(0);
    expect((await appendOutputChunks(d.db, [chunk("stdout", 0, "before the loss\n")], CAP)).size).toBe(1);
    await loseAttempts(d.db, { workerIds: [workerId] }, "worker lost");
    expect((await appendOutputChunks(d.db, [chunk("stdout", 16, "late\n")], CAP)).size).toBe(0);
    const out = await readOutput(d.db, { taskId, attempt: 1, stream: "stdout", from: 0, limit: CAP });
    expect(out!.runs.map((r) => text(r.data))).toEqual(["before the loss\n"]);
    expect(out!.finished).toBe(true);
  });

  test("over the cap keeps the first and last parts and reports the gap as dropped", async () => {
    const { taskId, chunk } = await running();
    const cap = 64 * 1024;
    const piece = 4096;
    for (let i = 0; i < 40; i++) {
      const line = `${String(i).padStart(4, "0")}`.padEnd(piece - 1, ".") + "\n";
      await appendOutputChunks(d.db, [chunk("stdout", i * piece, line)], cap);
    }
    const out = await readOutput(d.db, { taskId, attempt: 1, stream: "stdout", from: 0, limit: 10 * cap });
    const kept = out!.runs.reduce((n, r) => n + r.data.length, 0);
    expect(kept).toBeLessThanOrEqual(cap);
    expect(kept).toBeGreaterThanOrEqual(cap - piece);
    expect(out!.runs).toHaveLength(2);
    expect(text(out!.runs[0]!.data).startsWith("0000")).toBe(true);
    expect(text(out!.runs[1]!.data).endsWith(`0039${".".repeat(piece - 5)}\n`)).toBe(true);
    expect(out!.droppedBytes).toBe(40 * piece - kept);
    expect(out!.runs[1]!.offset - (out!.runs[0]!.offset + out!.runs[0]!.data.length)).toBe(out!.droppedBytes);
  });

  test("a log goes with its task", async () => {
    const { taskId, chunk } = await running();
    await appendOutputChunks(d.db, [chunk("stdout", 0, "x\n")], CAP);
    await d.db.delete(tasks).where(eq(tasks.id, taskId));
    expect(await d.db.select().from(taskOutputChunks)).toHaveLength(0);
  });
});
