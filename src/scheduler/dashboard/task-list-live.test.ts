import { describe, expect, test } from "bun:test";
import type { TaskRow } from "../../db/schema/index.ts";
import type { FeedBatch } from "../live/change-feed.ts";
import { TaskListFollower, type TaskListFilterView } from "./task-list-live.ts";

let n = 0;
const task = (over: Partial<TaskRow> = {}): TaskRow =>
  ({
    id: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
    seq: n,
    name: `t${n}`,
    queue: "default",
    status: "scheduled",
    scheduleId: null,
    createdAt: new Date(1_800_000_000_000 + n * 1000),
    ...over,
  }) as TaskRow;

let seq = 0;
const batch = (changes: [TaskRow, string][]): FeedBatch => ({
  seq: ++seq,
  taskChanges: changes.map(([t, status]) => ({ id: t.id, status, attempt: 0 })),
  tasks: new Map(changes.map(([t]) => [t.id, t])),
  failures: new Map(),
  workerChanges: [],
  workers: new Map(),
  scheduleChanges: [],
  rowsLoaded: true,
});

const filter = (over: Partial<TaskListFilterView> = {}): TaskListFilterView => ({ statuses: [], queue: null, q: null, schedule: null, fromSchedule: null, ...over });
const rows = { row: (_b: FeedBatch, t: TaskRow, oob: boolean, left: boolean) => `<tr id="task-${t.id}"${oob ? " oob" : ""}${left ? " left" : ""}>` };

describe("a live task list", () => {
  test("a task that starts running enters status=running; when it finishes it stays, marked, and is unmarked if it runs again", () => {
    const f = new TaskListFollower(filter({ statuses: ["running"] }), { firstPage: true, limit: 50 }, { shownIds: [], oldest: null }, rows);
    const t = task();
    expect(f.onBatch(batch([[t, "created"]]))).toBe("");
    const entered = f.onBatch(batch([[{ ...t, status: "running" }, "running"]]));
    expect(entered).toBe(`<tbody hx-swap-oob="afterbegin:#task-rows"><tr id="task-${t.id}"></tbody>`);
    expect(f.onBatch(batch([[{ ...t, status: "completed" }, "completed"]]))).toBe(`<tr id="task-${t.id}" oob left>`);
    expect(f.onBatch(batch([[{ ...t, status: "running" }, "running"]]))).toBe(`<tr id="task-${t.id}" oob>`);
  });

  test("the first page never grows past its limit: further tasks are counted in the newer-tasks bar, which follows them", () => {
    const shown = [task(), task()];
    const f = new TaskListFollower(filter({ statuses: ["running"] }), { firstPage: true, limit: 3 }, { shownIds: shown.map((t) => t.id), oldest: null }, rows);
    const [a, b, c] = [task({ status: "running" }), task({ status: "running" }), task({ status: "running" })];
    const out = f.onBatch(batch([[a, "running"], [b, "running"], [c, "running"]]));
    // The newest takes the one free place.
    expect(out).toContain(`<tr id="task-${c.id}">`);
    expect(out).not.toContain(`task-${b.id}`);
    expect(out).toContain('2 newer tasks</span> — <a href="/tasks?status=running&limit=3">show</a>');
    // One of the waiting tasks stops matching: the count follows; at zero the bar empties.
    expect(f.onBatch(batch([[{ ...b, status: "completed" }, "completed"]]))).toContain("1 newer task</span>");
    expect(f.onBatch(batch([[{ ...a, status: "failed" }, "failed"]]))).toBe('<div id="tasks-notice" hx-swap-oob="true"></div>');
  });

  test("tasks older than the page's last row belong to older pages; other pages only update their rows", () => {
    const last = task();
    const older = { ...task(), createdAt: new Date(last.createdAt.getTime() - 60_000) };
    const first = new TaskListFollower(filter({ statuses: ["failed"] }), { firstPage: true, limit: 1 }, { shownIds: [last.id], oldest: last }, rows);
    expect(first.onBatch(batch([[{ ...older, status: "failed" }, "failed"]]))).toBe("");
    const second = new TaskListFollower(filter(), { firstPage: false, limit: 50 }, { shownIds: [older.id], oldest: null }, rows);
    expect(second.onBatch(batch([[task(), "created"], [older, "running"]]))).toBe(`<tr id="task-${older.id}" oob>`);
  });

  test("a batch (one creation time) is placed by seq: the highest fill the page, and those below the last row belong to older pages", () => {
    const at = new Date(1_900_000_000_000);
    const [a, b, c, d] = [task({ createdAt: at }), task({ createdAt: at }), task({ createdAt: at }), task({ createdAt: at })];
    // The page shows b (its last row); a sorts below it, c and d above.
    const f = new TaskListFollower(filter(), { firstPage: true, limit: 2 }, { shownIds: [b.id], oldest: b }, rows);
    const out = f.onBatch(batch([[a, "created"], [c, "created"], [d, "created"]]));
    expect(out).toContain(`<tr id="task-${d.id}">`);
    expect(out).not.toContain(`task-${c.id}"`);
    expect(out).not.toContain(`task-${a.id}`);
    expect(out).toContain("1 newer task</span>");
  });

  test("with tasks made by schedules hidden, a schedule's new task never enters; one submitted by hand does", () => {
    const f = new TaskListFollower(filter({ fromSchedule: false }), { firstPage: true, limit: 50 }, { shownIds: [], oldest: null }, rows);
    expect(f.onBatch(batch([[task({ scheduleId: "5f0e3b1c-0000-4000-8000-000000000001" }), "created"]]))).toBe("");
    expect(f.onBatch(batch([[task(), "created"]]))).toContain("afterbegin");
    const only = new TaskListFollower(filter({ fromSchedule: true }), { firstPage: true, limit: 50 }, { shownIds: [], oldest: null }, rows);
    expect(only.onBatch(batch([[task(), "created"]]))).toBe("");
  });

  test("without a status filter, only new tasks enter; an update of a task not shown is one on an older page", () => {
    const f = new TaskListFollower(filter({ q: "report" }), { firstPage: true, limit: 50 }, { shownIds: [], oldest: null }, rows);
    expect(f.onBatch(batch([[task({ name: "nightly report" }), "running"]]))).toBe("");
    expect(f.onBatch(batch([[task({ name: "other" }), "created"]]))).toBe("");
    expect(f.onBatch(batch([[task({ name: "weekly REPORT" }), "created"]]))).toContain("afterbegin");
  });
});
