/**
 * Every shell snippet in README.md and docs/ works with dash, which is /bin/sh on
 * Debian and Ubuntu and in the runtime image: a user pastes them into any shell,
 * and taskflow runs task commands with `/bin/sh -c`. Each ```sh block must parse
 * (`dash -n`) and use nothing outside POSIX sh (shellcheck's SC3xxx checks); the
 * cron line too. The task commands the docs submit are run under dash, and the
 * README's retry demo is run by a real worker: it must fail, then succeed.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startTaskflow, waitFor, waitReady } from "../support/processes.ts";
import { findProgram, systemToolAvailable } from "../support/system-tools.ts";
import { migratedDataDirFlag } from "../support/databases.ts";

const ROOT = join(import.meta.dir, "../..");
const DOCS = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`), "bench/README.md"];

const dash = findProgram("dash", ["/bin/dash", "/usr/bin/dash"]);
const hasDash = systemToolAvailable("dash", dash !== null, "apt-get install -y dash");
const shellcheck = findProgram("shellcheck");
const hasShellcheck = systemToolAvailable("shellcheck", shellcheck !== null, "apt-get install -y shellcheck");

interface Snippet {
  /** file:line of the opening fence, for failure messages. */
  where: string;
  lang: string;
  text: string;
}

/** The fenced code blocks of one Markdown file. */
function codeBlocks(file: string): Snippet[] {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const blocks: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i]!.match(/^```(\w*)\s*$/);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith("```"));
    blocks.push({ where: `${file}:${i + 1}`, lang: open[1]!, text: lines.slice(i + 1, end).join("\n") + "\n" });
    i = end;
  }
  return blocks;
}

const blocks = DOCS.flatMap(codeBlocks);
const shellBlocks = blocks.filter((b) => b.lang === "sh");
/** A crontab line's command part (after the five time fields), as cron hands it to /bin/sh. */
const cronCommands = blocks
  .filter((b) => b.lang === "cron")
  .flatMap((b) => b.text.split("\n").filter((l) => l.trim() && !l.startsWith("#")).map((l) => ({ where: b.where, lang: "cron", text: cronCommand(l) })));

function cronCommand(line: string): string {
  // cron turns an unescaped % into a newline and `\%` into %.
  return line.trim().split(/\s+/).slice(5).join(" ").replace(/\\%/g, "%") + "\n";
}

/**
 * The JSON bodies the snippets send with `-d '…'` (webhook and bulk action bodies aside: they carry
 * no task), and the task command each submits (one per task of a batch).
 */
const NO_TASK_BODY = /\/api\/(webhooks|tasks\/(retry|cancel))\b[^\n]*\n?[^\n]*$/;
const submitted = shellBlocks.flatMap((b) =>
  [...b.text.matchAll(/-d '(\{[^']*\})'/g)].filter((m) => !NO_TASK_BODY.test(b.text.slice(0, m.index))).flatMap((m) => {
    type Body = { name?: string; command?: string; task?: { command: string }; tasks?: Body[] };
    const body = JSON.parse(m[1]!) as Body;
    return (body.tasks ?? [body]).map((t) => ({ where: b.where, body: t, command: t.command ?? t.task?.command ?? null }));
  }),
);

/** Task commands that name a script of the user's own: they can only be parsed here. */
const USER_SCRIPTS = new Set(["backup.sh", "./backup.sh", "./deploy.sh prod", "make", "make test"]);

function runDash(args: string[], env: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(tmpdir(), "taskflow-snippet-"));
  try {
    const r = Bun.spawnSync([dash!, ...args], { cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } });
    return { exitCode: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

test("the docs have shell snippets to check, and the task examples are among them", () => {
  expect(shellBlocks.length).toBeGreaterThanOrEqual(20);
  expect(cronCommands.length).toBeGreaterThanOrEqual(1);
  expect(submitted.map((s) => s.body.name)).toEqual(expect.arrayContaining(["hello", "flaky", "nightly backup"]));
});

describe.skipIf(!hasDash)("under dash", () => {
  test.each([...shellBlocks, ...cronCommands].map((b) => [b.where, b] as const))("%s parses (dash -n)", (_where, b) => {
    const r = runDash(["-n", "-c", b.text]);
    expect({ where: b.where, exitCode: r.exitCode, stderr: r.stderr }).toEqual({ where: b.where, exitCode: 0, stderr: "" });
  });

  test.each(submitted.map((s) => [s.where, s] as const))("%s: its task command runs under dash", (_where, s) => {
    expect(s.command).not.toBeNull();
    const parsed = runDash(["-n", "-c", s.command!]);
    expect({ command: s.command, stderr: parsed.stderr, exitCode: parsed.exitCode }).toEqual({ command: s.command, stderr: "", exitCode: 0 });
    if (USER_SCRIPTS.has(s.command!)) return;
    // The environment a worker adds; the last attempt a task with these retries gets.
    const lastAttempt = (s.body as { max_retries?: number }).max_retries ?? 0;
    const r = runDash(["-c", s.command!], { TASKFLOW_TASK_ID: "t-1", TASKFLOW_ATTEMPT: String(lastAttempt + 1), TASKFLOW_WORKER: "w-1" });
    expect({ command: s.command, exitCode: r.exitCode, stderr: r.stderr }).toEqual({ command: s.command, exitCode: 0, stderr: "" });
  });

  test("the README's flaky task fails on its first attempts and succeeds on a later one", () => {
    const flaky = submitted.find((s) => s.body.name === "flaky")!;
    const codes = [1, 2, 3, 4].map((n) => runDash(["-c", flaky.command!], { TASKFLOW_ATTEMPT: String(n) }).exitCode);
    expect(codes).toEqual([1, 1, 0, 0]);
  });
});

/** shellcheck's SC3xxx findings: "In POSIX sh, … is undefined" (RANDOM, arrays, [[ ]], echo -e …). */
function bashisms(script: string): string[] {
  const r = Bun.spawnSync([shellcheck!, "--shell=sh", "--format=json1", "-"], { stdin: new TextEncoder().encode(script) });
  const comments = (JSON.parse(r.stdout.toString()) as { comments: { line: number; code: number; message: string }[] }).comments;
  return comments.filter((c) => c.code >= 3000 && c.code < 4000).map((c) => `line ${c.line}: SC${c.code} ${c.message}`);
}

describe.skipIf(!hasShellcheck)("POSIX sh only (shellcheck -s sh)", () => {
  test.each([...shellBlocks, ...cronCommands].map((b) => [b.where, b] as const))("%s uses no bash-only feature", (_where, b) => {
    expect({ where: b.where, bashisms: bashisms(b.text) }).toEqual({ where: b.where, bashisms: [] });
  });

  test.each(submitted.map((s) => [s.where, s] as const))("%s: its task command uses no bash-only feature", (_where, s) => {
    expect({ command: s.command, bashisms: bashisms(`${s.command}\n`) }).toEqual({ command: s.command, bashisms: [] });
  });
});

test("the README's flaky task, submitted as written, is retried by a real worker until it succeeds", async () => {
  const flaky = submitted.find((s) => s.body.name === "flaky")!;
  const http = freePort();
  const base = `http://127.0.0.1:${http}`;
  const p = startTaskflow(["--role=all", await migratedDataDirFlag(), `--http=127.0.0.1:${http}`, `--grpc=127.0.0.1:${freePort()}`]);
  try {
    await waitReady(base, p);
    // As written, but now and with short retry delays, so the test does not wait 30 s.
    const body = { ...flaky.body, delay_ms: 0, backoff_ms: 20, backoff_factor: 1 };
    const res = await fetch(`${base}/api/tasks`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    type Detail = { status: string; attempts: { attempt: number; exit_code: number | null; stdout_tail: string | null }[] };
    const detail = await waitFor("the flaky task to finish", async () => {
      const d = (await (await fetch(`${base}/api/tasks/${id}`)).json()) as Detail;
      return d.status === "completed" || d.status === "failed" ? d : null;
    });
    expect(detail.status).toBe("completed");
    const attempts = detail.attempts.toSorted((a, b) => a.attempt - b.attempt);
    expect(attempts.map((a) => [a.attempt, a.exit_code, a.stdout_tail?.trim()])).toEqual([
      [1, 1, "attempt 1"],
      [2, 1, "attempt 2"],
      [3, 0, "attempt 3"],
    ]);
  } finally {
    p.kill("SIGKILL");
  }
}, 60_000);
