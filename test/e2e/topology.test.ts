/**
 * compose.yaml's topology without Docker (test/deploy/topology.ts): PostgreSQL, one
 * scheduler, one coordinator, three workers, nginx in front. Everything below goes
 * through nginx only, as a browser or curl would on the deployed machine.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT } from "../deploy/compose-file.ts";
import { startTopology } from "../deploy/topology.ts";
import { taskflowCommand } from "../support/processes.ts";
import { findProgram, systemToolAvailable } from "../support/system-tools.ts";

const hasNginx = systemToolAvailable("nginx", findProgram("nginx", ["/usr/sbin/nginx"]) !== null, "apt-get install -y nginx");
// Started at load time, before the tests: one topology serves them all.
const topology = hasNginx ? await startTopology() : (null as never);
afterAll(() => topology?.stop(), 60_000);

// A function, not a constant: without nginx there is no topology to read a token from.
const auth = () => ({ authorization: `Bearer ${topology.token}` });
const api = (path: string, init: RequestInit = {}) =>
  fetch(`${topology.url}${path}`, { ...init, headers: { ...auth(), "content-type": "application/json", ...init.headers } });

interface TaskJson {
  id: string;
  status: string;
  worker: string | null;
  exit_code: number | null;
  attempts?: { stdout?: string; stdout_tail?: string }[];
}

async function submit(name: string, command: string): Promise<TaskJson> {
  const r = await api("/api/tasks", { method: "POST", body: JSON.stringify({ name, command }) });
  expect(r.status).toBe(201);
  return (await r.json()) as TaskJson;
}

async function waitForStatus(id: string, status: string, timeoutMs = 20_000): Promise<TaskJson> {
  const deadline = Date.now() + timeoutMs;
  let last: TaskJson | null = null;
  while (Date.now() < deadline) {
    last = (await (await api(`/api/tasks/${id}`)).json()) as TaskJson;
    if (last.status === status) return last;
    await Bun.sleep(100);
  }
  throw new Error(`task ${id} is ${last?.status}, not ${status}, after ${timeoutMs} ms\n${topology.logs()}`);
}

describe.skipIf(!hasNginx)("the compose topology without Docker, through nginx", () => {
  test("compose's services run as written: three workers, the scheduler bound to every interface with a token", () => {
    expect(topology.processes.map((p) => p.name)).toEqual(["scheduler", "coordinator", "worker-1", "worker-2", "worker-3"]);
    const scheduler = topology.containerEnv("scheduler");
    expect(scheduler.TASKFLOW_HTTP).toBe("0.0.0.0:8080");
    expect(scheduler.TASKFLOW_TOKEN).toBe(topology.token);
    expect(topology.containerEnv("worker").TASKFLOW_COORDINATOR).toBe("coordinator:50051");
  });

  test("without the token, the scheduler's container settings refuse to start (exit 2, one line)", async () => {
    const { TASKFLOW_TOKEN: _, ...env } = topology.containerEnv("scheduler");
    const p = Bun.spawn(taskflowCommand(), { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, stdout: "pipe", stderr: "pipe" });
    expect(await p.exited).toBe(2);
    const err = (await new Response(p.stderr).text()).trim();
    expect(err.split("\n")).toHaveLength(1);
    expect(err).toContain("TASKFLOW_HTTP=0.0.0.0:8080 is not a loopback address: set --token");
  });

  test("the image's HEALTHCHECK judges each service right (scheduler: /healthz, coordinator: gRPC port, worker: alive)", () => {
    const expected: Record<string, RegExp> = {
      scheduler: /^scheduler: \/healthz 200\n$/,
      coordinator: /^coordinator: gRPC port \d+ accepts connections\n$/,
      "worker-1": /^$/,
    };
    for (const [name, output] of Object.entries(expected)) {
      const p = topology.processes.find((x) => x.name === name)!;
      const r = Bun.spawnSync([join(ROOT, "deploy/healthcheck.sh")], { env: { ...p.env, TASKFLOW_HEALTHCHECK_PID: String(p.proc.pid) } });
      expect({ name, exitCode: r.exitCode, stdout: r.stdout.toString() }).toEqual({ name, exitCode: 0, stdout: expect.stringMatching(output) });
    }
  });

  test("through nginx: /healthz is open and carries the security headers; the API needs the token", async () => {
    const health = await fetch(`${topology.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    expect(health.headers.get("x-content-type-options")).toBe("nosniff");
    expect(health.headers.get("x-frame-options")).toBe("DENY");
    expect(health.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");

    const anonymous = await fetch(`${topology.url}/api/tasks`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: string }).error).toBeString();
    expect((await api("/readyz")).status).toBe(200);
  });

  test("through nginx: the three workers are alive", async () => {
    const names = topology.processes.filter((p) => p.name.startsWith("worker")).length;
    const workers = await (async () => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const body = (await (await api("/api/workers")).json()) as { workers: { status: string }[] };
        const alive = body.workers.filter((w) => w.status === "alive");
        if (alive.length === names || Date.now() > deadline) return alive;
        await Bun.sleep(100);
      }
    })();
    expect(workers).toHaveLength(3);
  });

  test("through nginx: submitted tasks run on the workers and complete", async () => {
    // 9 one-second tasks and 4 slots per worker: they need more than one worker.
    const tasks = await Promise.all(Array.from({ length: 9 }, (_, i) => submit(`topology-${i}`, `echo topology-${i}; sleep 1`)));
    const done = await Promise.all(tasks.map((t) => waitForStatus(t.id, "completed")));
    for (const t of done) {
      expect(t.exit_code).toBe(0);
      expect(t.worker).toBeString();
    }
    expect(new Set(done.map((t) => t.worker)).size).toBeGreaterThanOrEqual(2);
    const detail = (await (await api(`/api/tasks/${tasks[4]!.id}`)).json()) as TaskJson;
    expect(JSON.stringify(detail.attempts)).toContain("topology-4");
  }, 40_000);

  test("through nginx: the SSE stream delivers a task's events live, uncompressed", async () => {
    const controller = new AbortController();
    const r = await fetch(`${topology.url}/api/events`, {
      headers: { ...auth(), accept: "text/event-stream", "accept-encoding": "gzip" },
      signal: controller.signal,
      decompress: false,
    });
    try {
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toStartWith("text/event-stream");
      expect(r.headers.get("content-encoding")).toBeNull();
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");

      const task = await submit("topology-sse", "echo live");
      const seen: string[] = [];
      const reader = r.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      const deadline = Date.now() + 20_000;
      while (!seen.includes("completed")) {
        if (Date.now() > deadline) throw new Error(`no completed event for ${task.id}; saw ${seen.join(", ")}\n${buffer.slice(-2000)}`);
        const chunk = await reader.read();
        if (chunk.done) throw new Error(`the event stream ended; saw ${seen.join(", ")}`);
        buffer += decoder.decode(chunk.value, { stream: true });
        // Events are separated by a blank line; keep the unfinished tail for the next chunk.
        const events = buffer.split("\n\n");
        buffer = events.pop()!;
        for (const event of events) {
          const lines = event.split("\n");
          if (!lines.includes("event: task")) continue;
          const data = JSON.parse(lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n")) as { id: string; status: string };
          if (data.id === task.id) seen.push(data.status);
        }
      }
      // Every step of the lifecycle arrived, in order, while the stream stayed open.
      expect(seen.filter((s) => ["scheduled", "running", "completed"].includes(s))).toEqual(["scheduled", "running", "completed"]);
    } finally {
      controller.abort();
    }
  }, 30_000);

});
