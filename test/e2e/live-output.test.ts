/**
 * Live output end to end, with real processes (PGlite, or PostgreSQL when
 * TASKFLOW_TEST_DATABASE_URL is set): a task's lines are followed over SSE while it
 * runs, a dropped follower resumes by offset, the stored log answers as text and
 * JSON, a lost worker's attempt keeps what arrived before the loss.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { waitFor } from "../support/processes.ts";
import { SseReader } from "../support/sse.ts";
import { WorkerCluster } from "../support/worker-cluster.ts";

let cluster: WorkerCluster;

beforeAll(async () => {
  cluster = await WorkerCluster.start({ heartbeatMs: 200, workerTimeoutMs: 1500 });
  cluster.startWorker("live-1", "live");
  await cluster.waitWorkerJoined("live-1");
}, 60_000);

afterAll(() => cluster?.stop());

function follow(path: string, headers: Record<string, string> = {}): SseReader {
  const abort = new AbortController();
  return new SseReader(fetch(`${cluster.api}${path}`, { headers, signal: abort.signal }), abort);
}

const outputText = (r: SseReader) => r.events.filter((e) => e.event === "output").map((e) => JSON.parse(e.data).text as string).join("");
const lines = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}\n`).join("");

test("a task printing a line every 100 ms is followed over SSE: each line arrives while it runs, then the outcome", async () => {
  const task = await cluster.submit({ name: "ticker", queue: "live", command: 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do echo "tick $i"; sleep 0.1; done' });
  const r = follow(`/api/tasks/${task.id}/log?follow=1`);
  try {
    await r.waitFor("tick 3", () => outputText(r).includes("tick 3\n"));
    // Seen live: the task still runs (12 more lines to go, ≥1.2 s).
    expect((await cluster.task(task.id)).status).toBe("running");
    const outcome = await r.next("outcome", () => true, 20_000);
    expect(JSON.parse(outcome.data)).toMatchObject({ task_id: task.id, attempt: 1, status: "completed", exit_code: 0, dropped_bytes: 0 });
    expect(outputText(r)).toBe(lines(15, "tick"));
    // More than one event: the lines came as they were written, not in one piece at the end.
    expect(r.events.filter((e) => e.event === "output").length).toBeGreaterThan(3);
  } finally {
    await r.close();
  }
}, 40_000);

test("a follower that drops and resumes with Last-Event-ID loses and repeats nothing", async () => {
  const task = await cluster.submit({ name: "resume", queue: "live", command: 'for i in $(seq 1 30); do echo "line $i"; sleep 0.05; done' });
  const first = follow(`/api/tasks/${task.id}/log?follow=1`);
  let lastId: string;
  let before: string;
  try {
    await first.waitFor("some lines", () => outputText(first).includes("line 5\n"));
    before = outputText(first);
    lastId = first.events.filter((e) => e.event === "output").at(-1)!.id!;
  } finally {
    await first.close();
  }
  expect(Number(lastId)).toBe(new TextEncoder().encode(before).length);
  const second = follow(`/api/tasks/${task.id}/log?follow=1`, { "last-event-id": lastId });
  try {
    await second.next("outcome", () => true, 20_000);
    expect(JSON.parse(second.events.find((e) => e.event === "output")!.data).offset).toBe(Number(lastId));
    expect(before + outputText(second)).toBe(lines(30, "line"));
  } finally {
    await second.close();
  }
}, 40_000);

test("the stored log answers as text and as JSON, per stream, and the latest attempt by /log", async () => {
  const task = await cluster.submit({ name: "streams", queue: "live", command: "echo out-1; echo err-1 >&2; echo out-2; exit 3", max_retries: 0 });
  await cluster.waitTask(task.id, (t) => t.status === "failed", "the task to fail");
  const both = await fetch(`${cluster.api}/api/tasks/${task.id}/log`);
  expect(both.headers.get("content-type")).toContain("text/plain");
  expect(both.headers.get("x-taskflow-complete")).toBe("true");
  expect((await both.text()).split("\n").sort()).toEqual(["", "err-1", "out-1", "out-2"]);
  const stderr = await fetch(`${cluster.api}/api/tasks/${task.id}/attempts/1/log?stream=stderr&format=json`);
  expect(await stderr.json()).toEqual({ task_id: task.id, attempt: 1, stream: "stderr", offset: 0, next_offset: 6, dropped_bytes: 0, complete: true, text: "err-1\n" });
  const from = await fetch(`${cluster.api}/api/tasks/${task.id}/attempts/1/log?stream=stdout&offset=6`, { headers: { accept: "application/json" } });
  expect(await from.json()).toMatchObject({ offset: 6, next_offset: 12, text: "out-2\n", complete: true });
  // A finished attempt's follow sends what is stored and the outcome at once.
  const r = follow(`/api/tasks/${task.id}/log?follow=1&stream=stdout`);
  try {
    expect(JSON.parse((await r.next("outcome")).data)).toMatchObject({ status: "failed", exit_code: 3 });
    expect(outputText(r)).toBe("out-1\nout-2\n");
  } finally {
    await r.close();
  }
  const download = await fetch(`${cluster.api}/api/tasks/${task.id}/log?download=1`);
  expect(download.headers.get("content-disposition")).toContain(`task-${task.id}-attempt-1-both.log`);
  const bad = await fetch(`${cluster.api}/api/tasks/${task.id}/log?stream=all&offset=-1`);
  expect(bad.status).toBe(422);
  expect((await bad.json()).details.map((d: { path: string }) => d.path).sort()).toEqual(["/offset", "/stream"]);
  expect((await fetch(`${cluster.api}/api/tasks/${task.id}/attempts/2/log`)).status).toBe(404);
}, 40_000);

test("following a cancelled task ends with its cancelled outcome", async () => {
  const task = await cluster.submit({ name: "to-cancel", queue: "live", command: "echo begun; sleep 30" });
  const r = follow(`/api/tasks/${task.id}/log?follow=1`);
  try {
    await r.waitFor("the first line", () => outputText(r) === "begun\n");
    await cluster.post(`/api/tasks/${task.id}/cancel`);
    expect(JSON.parse((await r.next("outcome", () => true, 15_000)).data)).toMatchObject({ status: "cancelled" });
  } finally {
    await r.close();
  }
}, 30_000);

test("the log of a lost worker's attempt keeps what arrived before the loss", async () => {
  const w = cluster.startWorker("doomed", "doomed");
  await cluster.waitWorkerJoined("doomed");
  const task = await cluster.submit({ name: "lost", queue: "doomed", command: "echo before-the-loss; sleep 60", max_retries: 0 });
  await waitFor("the line stored", async () => (await (await fetch(`${cluster.api}/api/tasks/${task.id}/log`)).text()) === "before-the-loss\n");
  w.kill("SIGKILL");
  await cluster.waitTask(task.id, (t) => t.status === "failed", "the attempt to be lost", 20_000);
  const log = await fetch(`${cluster.api}/api/tasks/${task.id}/attempts/1/log?format=json`);
  expect(await log.json()).toMatchObject({ text: "before-the-loss\n", complete: true });
}, 40_000);

test("GET /api/tasks?output= finds a task by a word printed in its stderr", async () => {
  const word = `quartz${Date.now().toString(36)}`;
  const task = await cluster.submit({ name: "noisy", queue: "live", command: `echo ordinary; echo "fatal: ${word} missing" >&2; exit 1`, max_retries: 0 });
  await cluster.submit({ name: "quiet", queue: "live", command: "echo nothing to see" });
  await cluster.waitTask(task.id, (t) => t.status === "failed", "the task to fail");
  const found = await (await fetch(`${cluster.api}/api/tasks?output=${word.toUpperCase()}`)).json();
  expect(found.tasks.map((t: { id: string }) => t.id)).toEqual([task.id]);
  const short = await fetch(`${cluster.api}/api/tasks?output=ab`);
  expect(short.status).toBe(422);
  expect((await short.json()).details[0].path).toBe("/output");
}, 30_000);

test("following a task that has not started yet waits for its first attempt", async () => {
  const task = await cluster.submit({ name: "later", queue: "live", command: "echo finally", delay_ms: 1500 });
  const r = follow(`/api/tasks/${task.id}/log?follow=1`);
  try {
    expect(JSON.parse((await r.next("outcome", () => true, 20_000)).data)).toMatchObject({ attempt: 1, status: "completed" });
    expect(outputText(r)).toBe("finally\n");
  } finally {
    await r.close();
  }
}, 30_000);

test("a timed-out attempt's follow ends with its outcome, keeping the output before the kill", async () => {
  const task = await cluster.submit({ name: "slow", queue: "live", command: "echo started; sleep 30", timeout_ms: 800, max_retries: 0 });
  const r = follow(`/api/tasks/${task.id}/log?follow=1`);
  try {
    const outcome = JSON.parse((await r.next("outcome", () => true, 20_000)).data);
    expect(outcome).toMatchObject({ attempt: 1, status: "failed" });
    expect(outcome.error).toContain("timed out");
    expect(outputText(r)).toBe("started\n");
  } finally {
    await r.close();
  }
}, 30_000);
