// Spawn threads inside the compiled binary: built by the project's own "build"
// script, run alone from an empty folder as a worker, it must run a task on a spawn
// thread, not on the in-process fallback (which would hide a missing entrypoint).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtBinary } from "../../test/support/build-binary.ts";
import { waitFor } from "../../test/support/processes.ts";
import { FakeCoordinator } from "../../test/support/fake-coordinator.ts";

let buildDir: string;
let workDir: string;
let bin: string;

beforeAll(() => {
  buildDir = mkdtempSync(join(tmpdir(), "taskflow-spawn-build-"));
  workDir = mkdtempSync(join(tmpdir(), "taskflow-spawn-run-"));
  bin = process.env.TASKFLOW_BIN ?? builtBinary(join(buildDir, "taskflow"));
}, 120_000);

afterAll(() => {
  rmSync(buildDir, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
});

test("the compiled worker runs tasks on spawn threads, from an empty folder", async () => {
  const coordinator = await new FakeCoordinator().start();
  const logs: string[] = [];
  const worker = Bun.spawn([bin, "--role=worker", `--coordinator=${coordinator.address}`, "--name=binary-test"], {
    cwd: workDir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TASKFLOW_LOG_FORMAT: "json", TASKFLOW_LOG_LEVEL: "debug" },
    stdout: "pipe",
    stderr: "pipe",
  });
  void collectLines(worker.stdout, logs);
  void collectLines(worker.stderr, logs);
  try {
    await waitFor("the worker's hello", () => coordinator.all("hello").length > 0);
    coordinator.send({ dispatch: { task_id: "t1", attempt: 1, name: "pgid", command: "ps -o pgid= -p $$", env: {}, queue: "default", timeout_ms: 0 } });
    const [finished] = await waitFor("the task's result", () => (coordinator.all("finished").length > 0 ? coordinator.all("finished") : null));
    const [started] = coordinator.all("started");
    expect(finished).toMatchObject({ task_id: "t1", attempt: 1, exit_code: 0, error: "" });
    // Its own process group, led by the pid reported as started.
    expect(Number(finished!.stdout_tail.toString().trim())).toBe(started!.pid);
    expect(logs.some((l) => l.includes("a spawn thread is ready"))).toBe(true);
    expect(logs.filter((l) => l.includes("spawn threads unavailable"))).toEqual([]);
    worker.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
  } finally {
    worker.kill("SIGKILL");
    coordinator.kill();
  }
}, 60_000);

async function collectLines(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  let rest = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const lines = (rest + decoder.decode(value, { stream: true })).split("\n");
    rest = lines.pop() ?? "";
    into.push(...lines);
  }
  if (rest) into.push(rest);
}
