/**
 * Every client subcommand as data: its usage, flags, examples and the module
 * that runs it (loaded only when chosen). Argument parsing, `help`, `--help`
 * and the shell completion scripts are all derived from this table.
 */
import type { ApiClient } from "./api-client.ts";
import type { ClientCommandName } from "./command-names.ts";
import type { Output } from "./output.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Placeholder for the value in help, e.g. DURATION. */
  value?: string;
  help: string;
  /** Values the shell completion offers. */
  choices?: string[];
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** The words after `--`, for commands that take a shell command; null when there was no `--`. */
  command: string[] | null;
}

export interface CommandContext {
  args: ParsedArgs;
  env: Record<string, string | undefined>;
  output: Output;
  /** The API client for --url/--token (built on first use, so a bad URL is reported only by commands that connect). */
  api(): ApiClient;
}

export interface CommandModule {
  run(ctx: CommandContext): Promise<number>;
}

export interface CommandSpec {
  name: ClientCommandName;
  usage: string[];
  options: Record<string, OptionSpec>;
  /** Takes `-- COMMAND [ARG...]` after its flags. */
  takesCommand?: boolean;
  /** First positional words it accepts (schedules ls|add|…), for help and completion. */
  subcommands?: string[];
  examples: string[];
  /** Extra lines of help after the flags. */
  notes?: string[];
  load(): Promise<CommandModule>;
}

const CONNECTION: Record<string, OptionSpec> = {
  url: { type: "string", value: "URL", help: "the scheduler's API (env TASKFLOW_URL, default http://127.0.0.1:8080)" },
  token: { type: "string", value: "TOKEN", help: "API token (env TASKFLOW_TOKEN; --token-file keeps it out of ps)" },
  "token-file": { type: "string", value: "PATH", help: "read the API token from this file (env TASKFLOW_TOKEN_FILE)" },
};

const TEMPLATE: Record<string, OptionSpec> = {
  queue: { type: "string", short: "q", value: "QUEUE", help: "queue (default: default)" },
  priority: { type: "string", short: "p", value: "N", help: "priority -100…100, higher first (default 0)" },
  retries: { type: "string", short: "r", value: "N", help: "retries after the first attempt (default 3; run: 0)" },
  backoff: { type: "string", value: "DURATION", help: "first retry delay, doubling each retry (default 1s)" },
  timeout: { type: "string", short: "t", value: "DURATION", help: "kill an attempt running longer than this" },
  env: { type: "string", short: "e", multiple: true, value: "K=V", help: "environment variable for the command (repeatable)" },
  label: { type: "string", multiple: true, value: "K=V", help: "a task label: what it is, for filtering (repeatable; ls and GET /api/tasks?label=K=V)" },
  selector: { type: "string", multiple: true, value: "K=V", help: "run only on workers with this label; V=* for any value (repeatable)" },
  fanout: { type: "string", value: "all|N", help: "run on every matching worker (all) or on N of them, one child task each" },
};

const TASK: Record<string, OptionSpec> = {
  name: { type: "string", short: "n", value: "NAME", help: "task name (default: the command)" },
  ...TEMPLATE,
  at: { type: "string", value: "TIME", help: "run at this ISO-8601 time, e.g. 2030-01-01T09:00:00Z" },
  in: { type: "string", value: "DURATION", help: "run after this delay, e.g. 30s, 5m, 1h30m" },
  "idempotency-key": { type: "string", value: "KEY", help: "submitting the same key again returns the first task" },
};

const JSON_FLAG: Record<string, OptionSpec> = { json: { type: "boolean", help: "print the API's JSON" } };

const DURATIONS = "DURATION is a number with a unit: 500ms, 30s, 5m, 2h, 1d, or combined (1h30m); a bare number is seconds.";
const IDS = "ID is a task id or any unique prefix of it of 8 or more characters (as `taskflow ls` shows).";

export const SPECS: CommandSpec[] = [
  {
    name: "run",
    usage: ["taskflow run [flags] -- COMMAND [ARG...]"],
    options: {
      ...TASK,
      "on-interrupt": { type: "string", value: "MODE", choices: ["ask", "cancel", "detach"], help: "on Ctrl-C: ask (the default; without a terminal: cancel), cancel the task, or detach and leave it running" },
      ...CONNECTION,
    },
    takesCommand: true,
    examples: ["taskflow run -- make test", "taskflow run --queue gpu --timeout 2h -- ./train.sh --epochs 3", "taskflow run -- 'tar czf /backup/db.tgz /var/lib/db && echo done'"],
    notes: [
      "Prints the command's stdout and stderr to yours and exits with its exit code (1 with a reason when it ended without one: cancelled, timed out, worker lost).",
      "Output is printed as each attempt ends. Unlike submit, run does not retry unless --retries is given.",
      "One word after -- is a shell line run as is; several words are quoted so the command gets exactly them.",
      DURATIONS,
    ],
    load: () => import("./commands/run.ts"),
  },
  {
    name: "submit",
    usage: ["taskflow submit [flags] -- COMMAND [ARG...]", "taskflow submit --file tasks.json|-"],
    options: {
      ...TASK,
      file: { type: "string", short: "f", value: "PATH", help: "submit the tasks in this JSON file (- for stdin) in one all-or-nothing batch" },
      ...JSON_FLAG,
      ...CONNECTION,
    },
    takesCommand: true,
    examples: ["taskflow submit -- echo hello", "taskflow submit --in 30s --retries 5 --name flaky -- ./flaky.sh", "taskflow submit --file tasks.json --json"],
    notes: ["Prints the new task's id (one per line with --file). The file holds [{name, command, …}, …] or {\"tasks\": [...]}, as POST /api/tasks/batch takes it.", DURATIONS],
    load: () => import("./commands/submit.ts"),
  },
  {
    name: "ls",
    usage: ["taskflow ls [flags]"],
    options: {
      status: { type: "string", short: "s", value: "STATUS[,STATUS]", help: "only these statuses", choices: ["created", "scheduled", "picked", "running", "completed", "failed", "cancelled"] },
      queue: { type: "string", short: "q", value: "QUEUE", help: "only this queue" },
      search: { type: "string", value: "TEXT", help: "only names containing this text" },
      schedule: { type: "string", value: "ID", help: "only tasks this schedule made" },
      "no-schedules": { type: "boolean", help: "hide tasks made by schedules" },
      limit: { type: "string", short: "l", value: "N", help: "at most N tasks, newest first (default 50, max 500)" },
      all: { type: "boolean", short: "a", help: "every matching task (pages through them all)" },
      watch: { type: "boolean", short: "w", help: "redraw as tasks change, until Ctrl-C" },
      ...JSON_FLAG,
      ...CONNECTION,
    },
    examples: ["taskflow ls", "taskflow ls --status failed,cancelled --queue default", "taskflow ls --watch", "taskflow ls --json --limit 100 | jq '.tasks[].id'"],
    load: () => import("./commands/ls.ts"),
  },
  {
    name: "get",
    usage: ["taskflow get [flags] ID"],
    options: { ...JSON_FLAG, ...CONNECTION },
    examples: ["taskflow get 7d1c2a4e", "taskflow get 7d1c2a4e --json | jq .attempts"],
    notes: [IDS],
    load: () => import("./commands/get.ts"),
  },
  {
    name: "logs",
    usage: ["taskflow logs [flags] ID"],
    options: {
      follow: { type: "boolean", short: "f", help: "keep printing each attempt's output as it ends, until the task finishes" },
      attempt: { type: "string", value: "N", help: "this attempt (default: the latest)" },
      stderr: { type: "boolean", help: "only stderr" },
      stdout: { type: "boolean", help: "only stdout" },
      ...CONNECTION,
    },
    examples: ["taskflow logs 7d1c2a4e", "taskflow logs -f 7d1c2a4e", "taskflow logs --attempt 1 --stderr 7d1c2a4e"],
    notes: ["stdout goes to stdout and stderr to stderr; each attempt keeps the last 64 KiB of each.", IDS],
    load: () => import("./commands/logs.ts"),
  },
  {
    name: "cancel",
    usage: ["taskflow cancel [flags] ID..."],
    options: { ...CONNECTION },
    examples: ["taskflow cancel 7d1c2a4e", "taskflow ls --status scheduled --json | jq -r '.tasks[].id' | xargs taskflow cancel"],
    notes: [IDS],
    load: () => import("./commands/task-actions.ts").then((m) => m.cancel),
  },
  {
    name: "retry",
    usage: ["taskflow retry [flags] ID..."],
    options: { ...CONNECTION },
    examples: ["taskflow retry 7d1c2a4e"],
    notes: ["Only failed or cancelled tasks can be retried.", IDS],
    load: () => import("./commands/task-actions.ts").then((m) => m.retry),
  },
  {
    name: "wait",
    usage: ["taskflow wait [flags] ID..."],
    options: {
      timeout: { type: "string", short: "t", value: "DURATION", help: "give up after this long (exit 124)" },
      quiet: { type: "boolean", help: "print nothing; only the exit code tells" },
      ...CONNECTION,
    },
    examples: ["taskflow wait 7d1c2a4e", "id=$(taskflow submit -- ./job.sh) && taskflow wait --timeout 10m \"$id\" && echo ok"],
    notes: ["Exit code: 0 when every task completed, 1 when any failed or was cancelled, 124 on timeout.", DURATIONS, IDS],
    load: () => import("./commands/wait.ts"),
  },
  {
    name: "schedules",
    usage: [
      "taskflow schedules ls [--json]",
      "taskflow schedules add --name NAME --cron EXPR [--timezone TZ] [--paused] [task flags] -- COMMAND [ARG...]",
      "taskflow schedules pause|resume|rm|run-now ID...",
    ],
    subcommands: ["ls", "add", "pause", "resume", "rm", "run-now"],
    options: {
      name: { type: "string", short: "n", value: "NAME", help: "add: the schedule's name (its tasks are named after it)" },
      cron: { type: "string", value: "EXPR", help: "add: 5 fields, 6 with seconds, or @daily-style" },
      timezone: { type: "string", value: "TZ", help: "add: IANA time zone of the expression (default UTC)" },
      paused: { type: "boolean", help: "add: create it paused" },
      ...TEMPLATE,
      ...JSON_FLAG,
      ...CONNECTION,
    },
    takesCommand: true,
    examples: [
      "taskflow schedules ls",
      "taskflow schedules add --name 'nightly backup' --cron '0 3 * * *' --timezone Europe/Berlin -- backup.sh",
      "taskflow schedules pause 5f0e3b1c",
      "taskflow schedules rm 5f0e3b1c",
      "taskflow schedules run-now 5f0e3b1c     # a run outside the cron, marked manual",
    ],
    notes: ["A schedule ID is its id or any unique prefix of 8 or more characters.", DURATIONS],
    load: () => import("./commands/schedules.ts"),
  },
  {
    name: "workers",
    usage: ["taskflow workers ls [--json]"],
    subcommands: ["ls"],
    options: { ...JSON_FLAG, ...CONNECTION },
    examples: ["taskflow workers ls"],
    load: () => import("./commands/workers.ts"),
  },
  {
    name: "completion",
    usage: ["taskflow completion bash|zsh|fish"],
    subcommands: ["bash", "zsh", "fish"],
    options: {},
    examples: ["source <(taskflow completion bash)", "taskflow completion zsh > \"${fpath[1]}/_taskflow\"", "taskflow completion fish > ~/.config/fish/completions/taskflow.fish"],
    load: () => import("./commands/completion.ts"),
  },
  {
    name: "help",
    usage: ["taskflow help [COMMAND]"],
    options: {},
    examples: ["taskflow help run"],
    load: () => import("./commands/help.ts"),
  },
];

export function findSpec(name: string): CommandSpec | undefined {
  return SPECS.find((s) => s.name === name);
}
