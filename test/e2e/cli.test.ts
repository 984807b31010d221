/**
 * The client CLI end to end: real `taskflow` CLI processes against a real
 * `taskflow --role=all` (with a token). TASKFLOW_BIN=./taskflow runs the same
 * tests against the compiled binary.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freePort, startTaskflow, taskflowCommand, waitFor, type TaskflowProcess } from "../support/processes.ts";
import { migratedDataDirFlag } from "../support/databases.ts";

const TOKEN = "cli-test-token-0123456789abcdef";
let server: TaskflowProcess;
let url: string;

beforeAll(async () => {
  const http = freePort();
  url = `http://127.0.0.1:${http}`;
  server = startTaskflow(["--role=all", await migratedDataDirFlag(), `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${freePort()}`, "--concurrency=4"], {
    env: { TASKFLOW_TOKEN: TOKEN },
  });
  // /readyz needs the token like every route but /healthz.
  await waitFor(`${url}/readyz`, async () => {
    if (server.proc.exitCode !== null) throw new Error(`taskflow exited ${server.proc.exitCode}:\n${server.output()}`);
    return (await fetch(`${url}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } })).status === 200;
  }, 90_000);
}, 100_000);

afterAll(async () => {
  server.kill("SIGTERM");
  await server.exited;
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one CLI command to its end; stdin is not a terminal, so nothing is coloured or asked. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const p = Bun.spawn([...taskflowCommand(), ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TASKFLOW_URL: url, TASKFLOW_TOKEN: TOKEN, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

async function api<T = any>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url + path, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" } });
  return (await res.json()) as T;
}

describe("run", () => {
  test("prints the command's stdout and stderr to its own and exits with its exit code", async () => {
    const r = await cli(["run", "--", "sh", "-c", "echo out; echo err >&2; exit 7"]);
    expect(r.stdout).toBe("out\n");
    expect(r.stderr).toBe("err\n");
    expect(r.code).toBe(7);
    const r0 = await cli(["run", "--name", "ok", "--", "printf 'a b\\n' && echo \"$GREETING\""], { TASKFLOW_TOKEN: TOKEN });
    expect(r0).toEqual({ code: 0, stdout: "a b\n\n", stderr: "" });
    const env = await cli(["run", "-e", "GREETING=hi there", "--", 'echo "$GREETING"']);
    expect(env).toEqual({ code: 0, stdout: "hi there\n", stderr: "" });
  });

  test("output arrives while the task runs (live), before the command has ended", async () => {
    const p = Bun.spawn([...taskflowCommand(), "run", "--", "echo first; sleep 4; echo second"], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TASKFLOW_URL: url, TASKFLOW_TOKEN: TOKEN },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = p.stdout.getReader();
    let seen = "";
    while (!seen.includes("first\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    // The first line is printed while the task still sleeps: the CLI has not exited yet.
    expect(seen).toBe("first\n");
    expect(p.exitCode).toBeNull();
    for (let r = await reader.read(); !r.done; r = await reader.read()) seen += new TextDecoder().decode(r.value);
    expect(await p.exited).toBe(0);
    expect(seen).toBe("first\nsecond\n");
  }, 30_000);

  test("a retried command prints each attempt, and a note between them", async () => {
    const r = await cli(["run", "--retries", "1", "--backoff", "10ms", "--", 'echo "try $TASKFLOW_ATTEMPT"; exit 3']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("try 1\ntry 2\n");
    expect(r.stderr).toContain("attempt 1 failed (exit 3); retrying");
  });

  test("a task that ends without an exit code (timeout) exits 1 with one line saying why", async () => {
    const r = await cli(["run", "--timeout", "300ms", "--", "sleep 20"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^taskflow: task [0-9a-f]{8} failed/);
  }, 30_000);

  test("--on-interrupt=cancel: SIGINT cancels the task, which ends cancelled", async () => {
    const p = Bun.spawn([...taskflowCommand(), "run", "--on-interrupt=cancel", "--name", "interrupt-me", "--", "sleep 30"], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TASKFLOW_URL: url, TASKFLOW_TOKEN: TOKEN },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const running = await waitFor("the task to run", async () => (await api(`/api/tasks?q=interrupt-me&status=running`)).tasks[0]);
    p.kill("SIGINT");
    expect(await p.exited).toBe(130);
    expect(await new Response(p.stderr).text()).toContain(`cancelling task ${running.id.slice(0, 8)}`);
    expect((await api(`/api/tasks/${running.id}`)).status).toBe("cancelled");
  }, 30_000);
});

describe("submit, wait, get, logs", () => {
  test("submit --in 2s prints the id; wait exits 0 once it completed, ~2 s later", async () => {
    const started = Date.now();
    const s = await cli(["submit", "--in", "2s", "--name", "later", "--", "echo later"]);
    expect(s.code).toBe(0);
    const id = s.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const w = await cli(["wait", id.slice(0, 8)]);
    expect(w.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(w.stdout).toContain(`${id.slice(0, 8)}  completed (exit 0)  later`);
    expect((await cli(["logs", id.slice(0, 10)])).stdout).toBe("later\n");
    const g = await cli(["get", id]);
    expect(g.stdout).toContain("timeline");
    expect(g.stdout).toContain(id);
    const json = JSON.parse((await cli(["get", "--json", id.slice(0, 8)])).stdout);
    expect(json).toEqual(await api(`/api/tasks/${id}`));
  }, 30_000);

  test("wait: exit 1 when a task failed, 124 when --timeout passes first", async () => {
    const failing = (await cli(["submit", "--retries", "0", "--", "exit 4"])).stdout.trim();
    const slow = (await cli(["submit", "--", "sleep 30"])).stdout.trim();
    expect((await cli(["wait", failing])).code).toBe(1);
    const started = Date.now();
    const w = await cli(["wait", "--timeout", "500ms", slow, failing]);
    expect(w.code).toBe(124);
    // Well under the 30 s the task sleeps, so the wait gave up instead of seeing it end (a CLI
    // process can take seconds just to start on a loaded machine).
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(w.stderr).toBe(`taskflow: timed out waiting for ${slow.slice(0, 8)}\n`);
    const c = await cli(["cancel", slow.slice(0, 8), failing]);
    expect(c.code).toBe(1);
    expect(c.stdout).toMatch(new RegExp(`^${slow.slice(0, 8)}  cancelled  cancelled  sleep 30\n$`));
    expect(c.stderr).toBe(`taskflow: ${failing}: task ${failing} is already failed\n`);
    const r = await cli(["retry", failing]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("retried");
  }, 30_000);

  test("submit --file submits a batch and prints the ids; --json prints the tasks", async () => {
    const file = `${process.env.TMPDIR ?? "/tmp"}/taskflow-cli-batch-${process.pid}.json`;
    await Bun.write(file, JSON.stringify([{ name: "b1", command: "true" }, { name: "b2", command: "true", queue: "default" }]));
    const r = await cli(["submit", "--file", file]);
    expect(r.code).toBe(0);
    // The ids (from the batch's lean answer), in the file's order.
    const ids = r.stdout.trim().split("\n");
    expect(await Promise.all(ids.map(async (id) => (await api(`/api/tasks/${id}`)).name))).toEqual(["b1", "b2"]);
    const json = await cli(["submit", "--file", file, "--json"]);
    expect(JSON.parse(json.stdout).tasks.map((t: { name: string; status: string }) => [t.name, t.status])).toEqual([["b1", "scheduled"], ["b2", "scheduled"]]);
    const bad = await cli(["submit", "--file", file, "--queue", "x"]);
    expect(bad).toMatchObject({ code: 2, stdout: "" });
  });
});

describe("ls", () => {
  test("--json equals the API's answer; the table has a row per task with its short id", async () => {
    // Tasks of their own that have finished, so no other test's task changes between the two reads.
    const ids: string[] = [];
    for (const n of [1, 2]) ids.push((await cli(["submit", "--name", `listed ${n}`, "--", "true"])).stdout.trim());
    expect((await cli(["wait", "--quiet", ...ids])).code).toBe(0);
    const r = await cli(["ls", "--json", "--search", "listed", "--status", "completed,failed", "--limit", "5"]);
    const answer = await api("/api/tasks?q=listed&status=completed,failed&limit=5");
    expect(answer.tasks.map((t: { id: string }) => t.id).sort()).toEqual([...ids].sort());
    expect(JSON.parse(r.stdout)).toEqual(answer);
    const all = JSON.parse((await cli(["ls", "--json", "--all", "--search", "listed"])).stdout);
    expect(all).toEqual({ tasks: answer.tasks, next_cursor: null });
    const table = await cli(["ls", "--search", "listed"]);
    expect(table.stdout.split("\n")[0]).toMatch(/^ID\s+NAME\s+STATUS\s+ATTEMPT\s+WORKER\s+AGE\s+DURATION$/);
    expect(table.stdout).toContain(`${ids[0]!.slice(0, 8)}  listed 1  completed`);
    expect(table.stdout).not.toContain("\x1b[");
  });
});

describe("schedules and workers", () => {
  test("add, ls, pause, resume, rm by id prefix", async () => {
    const add = await cli(["schedules", "add", "--name", "cli nightly", "--cron", "0 3 * * *", "--timezone", "Europe/Berlin", "--", "echo", "backup"]);
    expect(add.code).toBe(0);
    const id = add.stdout.trim();
    const schedule = await api(`/api/schedules/${id}`);
    expect(schedule).toMatchObject({ name: "cli nightly", cron: "0 3 * * *", timezone: "Europe/Berlin", task: { command: "echo backup" } });
    expect((await cli(["schedules", "ls"])).stdout).toMatch(/cli nightly\s+0 3 \* \* \*\s+Europe\/Berlin\s+active/);
    expect((await cli(["schedules", "pause", id.slice(0, 8)])).stdout).toBe(`${id.slice(0, 8)}  paused  cli nightly\n`);
    expect((await api(`/api/schedules/${id}`)).paused).toBe(true);
    await cli(["schedules", "resume", id.slice(0, 8)]);
    expect((await api(`/api/schedules/${id}`)).paused).toBe(false);
    // run-now: a task of this schedule, made now (outside the cron).
    const ran = await cli(["schedules", "run-now", id.slice(0, 8)]);
    expect(ran.code).toBe(0);
    expect((await api(`/api/tasks/${ran.stdout.trim()}`)).schedule_id).toBe(id);
    // ls --no-schedules hides it, and keeps a task submitted by hand.
    const byHand = (await cli(["submit", "--name", "by hand", "--", "true"])).stdout.trim();
    const listed = JSON.parse((await cli(["ls", "--json", "--all", "--no-schedules"])).stdout).tasks.map((t: { id: string }) => t.id);
    expect(listed).toContain(byHand);
    expect(listed).not.toContain(ran.stdout.trim());
    expect(await cli(["ls", "--no-schedules", "--schedule", id])).toMatchObject({ code: 2, stdout: "" });
    expect((await cli(["schedules", "rm", id])).code).toBe(0);
    expect((await cli(["schedules", "rm", id])).code).toBe(1);
  });

  test("workers ls shows the worker alive with its slots", async () => {
    const r = await cli(["workers", "ls"]);
    expect(r.stdout).toMatch(/alive\s+\d+\/4\s+default/);
    expect(JSON.parse((await cli(["workers", "ls", "--json"])).stdout)).toMatchObject({ workers: [{ status: "alive", concurrency: 4 }] });
  });
});

describe("errors: one line each, exit 2 for a bad command line, 1 when the server says no", () => {
  const oneLine = (r: CliResult) => {
    expect(r.stdout).toBe("");
    expect(r.stderr.endsWith("\n")).toBe(true);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toContain("    at ");
  };

  test("bad flag, bad value, missing command → 2", async () => {
    for (const args of [["ls", "--bogus"], ["submit", "--priority", "high", "--", "true"], ["submit"], ["wait", "--timeout", "soon", "abcdef12"], ["get", "abc"], ["schedules", "frobnicate"]]) {
      const r = await cli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      oneLine(r);
    }
  });

  test("unreachable URL, bad token, unknown id, a field the server refuses → 1", async () => {
    const unreachable = await cli(["ls"], { TASKFLOW_URL: `http://127.0.0.1:${freePort()}` });
    expect(unreachable.stderr).toMatch(/^taskflow: cannot reach taskflow at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/);
    const badToken = await cli(["ls"], { TASKFLOW_TOKEN: "wrong-token-0123456789" });
    expect(badToken.stderr).toBe(`taskflow: ${url} refused the token (401): check --token, --token-file or TASKFLOW_TOKEN\n`);
    const noToken = await cli(["ls"], { TASKFLOW_TOKEN: "" });
    expect(noToken.stderr).toContain("needs a token (401)");
    const unknown = await cli(["get", "00000000-0000-4000-8000-000000000000"]);
    expect(unknown.stderr).toBe("taskflow: no task with id 00000000-0000-4000-8000-000000000000\n");
    const invalid = await cli(["submit", "--priority", "500", "--queue", "Bad Queue", "--", "true"]);
    expect(invalid.stderr).toMatch(/^taskflow: invalid: .*queue .*; .*priority|^taskflow: invalid: .*priority .*; .*queue/);
    for (const r of [unreachable, badToken, noToken, unknown, invalid]) {
      expect(r.code).toBe(1);
      oneLine(r);
    }
  });

  test("--token-file: the token from a file; a missing file is a usage error", async () => {
    const file = `${process.env.TMPDIR ?? "/tmp"}/taskflow-cli-token-${process.pid}`;
    await Bun.write(file, `${TOKEN}\n`);
    expect((await cli(["ls", "--token-file", file], { TASKFLOW_TOKEN: "" })).code).toBe(0);
    const missing = await cli(["ls", "--token-file", `${file}.nope`]);
    expect(missing.code).toBe(2);
    oneLine(missing);
  });
});

describe("help and terminal output", () => {
  test("taskflow --help lists the client commands; help COMMAND and COMMAND --help show the same text", async () => {
    const top = await cli(["--help"]);
    for (const c of ["run", "submit", "ls", "get", "logs", "cancel", "retry", "wait", "schedules", "workers", "completion"]) expect(top.stdout).toContain(`taskflow ${c} `);
    const help = await cli(["help", "run"]);
    expect(help.stdout).toContain("--on-interrupt");
    expect((await cli(["run", "--help"])).stdout).toBe(help.stdout);
  });

  // script(1) (util-linux, in every Debian) gives the CLI a terminal.
  test("on a terminal the table is coloured, and NO_COLOR turns colour off", async () => {
    const line = [...taskflowCommand(), "ls", "--limit", "3"].map((w) => `'${w}'`).join(" ");
    const onTty = (env: Record<string, string>) =>
      Bun.spawnSync(["script", "-qec", line, "/dev/null"], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TASKFLOW_URL: url, TASKFLOW_TOKEN: TOKEN, TERM: "xterm", ...env } });
    const coloured = onTty({});
    expect(coloured.stdout.toString()).toContain("\x1b[1mID\x1b[22m");
    const plain = onTty({ NO_COLOR: "1" });
    expect(plain.stdout.toString()).toContain("ID");
    expect(plain.stdout.toString()).not.toContain("\x1b[");
  });
});
