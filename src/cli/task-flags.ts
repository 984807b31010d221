/**
 * The task flags shared by `run`, `submit` and `schedules add`, turned into the
 * body the API takes, and the words after `--` turned into one shell command.
 * Values are checked here only as far as parsing needs (numbers, durations,
 * K=V); the server checks the rest and names the field.
 */
import { durationFlag, intFlag, listFlag, stringFlag } from "./args.ts";
import { UsageError } from "./errors.ts";
import { parsePair } from "../core/labels.ts";
import type { ParsedArgs } from "./spec.ts";

/** Longest default name taken from the command (the API allows 200). */
const NAME_FROM_COMMAND_MAX = 80;
/** Words a POSIX shell passes through unquoted. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * The shell line for `-- COMMAND...`: one word is a shell line as given; several
 * are quoted so the command receives exactly those words (as with exec).
 * @example shellCommand(["sh", "-c", "echo a; exit 7"]) // "sh -c 'echo a; exit 7'"
 */
export function shellCommand(words: string[] | null, command: string): string {
  if (!words || words.length === 0) throw new UsageError(`give the command after --, e.g. taskflow ${command} -- echo hello`);
  if (words.length === 1) return words[0]!;
  return words.map(shellQuote).join(" ");
}

export function shellQuote(word: string): string {
  return SAFE_WORD.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The template fields (what a schedule's tasks share): queue, priority, retries, backoff, timeout, env, labels, selector, fanout. */
export function templateBody(args: ParsedArgs, defaults: { retries?: number } = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const set = (key: string, v: unknown) => v !== undefined && (body[key] = v);
  set("queue", stringFlag(args, "queue"));
  set("priority", intFlag(args, "priority", -1_000_000, 1_000_000));
  set("max_retries", intFlag(args, "retries", 0, 1_000_000) ?? defaults.retries);
  set("backoff_ms", durationFlag(args, "backoff"));
  set("timeout_ms", durationFlag(args, "timeout"));
  const env = envFlag(listFlag(args, "env"));
  if (Object.keys(env).length > 0) body.env = env;
  // Labels say what a task is; the selector says where it may run (docs/placement.md).
  const labels = labelFlag(listFlag(args, "label"), "label");
  if (Object.keys(labels).length > 0) body.labels = labels;
  const selector = labelFlag(listFlag(args, "selector"), "selector");
  if (Object.keys(selector).length > 0) body.selector = selector;
  const fanout = stringFlag(args, "fanout");
  if (fanout !== undefined) body.fanout = fanoutFlag(fanout);
  return body;
}

function labelFlag(pairs: string[], flag: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const p of pairs) {
    try {
      const [key, value] = parsePair(p);
      labels[key] = value;
    } catch (err) {
      throw new UsageError(`--${flag}: ${(err as Error).message}`);
    }
  }
  return labels;
}

function fanoutFlag(v: string): "all" | number {
  if (v === "all") return "all";
  if (/^[1-9][0-9]{0,3}$/.test(v)) return Number(v);
  throw new UsageError(`--fanout "${v}" must be all or a number of workers (1–1000)`);
}

/** A whole task body for POST /api/tasks. */
export function taskBody(args: ParsedArgs, command: string, defaults: { retries?: number } = {}): Record<string, unknown> {
  const at = stringFlag(args, "at");
  const delay = durationFlag(args, "in");
  if (at !== undefined && delay !== undefined) throw new UsageError("give --at or --in, not both");
  const body: Record<string, unknown> = { name: stringFlag(args, "name") ?? defaultName(command), command, ...templateBody(args, defaults) };
  if (at !== undefined) body.run_at = at;
  if (delay !== undefined) body.delay_ms = delay;
  const key = stringFlag(args, "idempotency-key");
  if (key !== undefined) body.idempotency_key = key;
  return body;
}

function envFlag(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new UsageError(`--env "${p}" must be NAME=VALUE`);
    env[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return env;
}

/** A task named after its command, on one line and cut to a readable length. */
export function defaultName(command: string): string {
  const oneLine = command.replace(/\s+/g, " ").trim();
  return [...oneLine].length <= NAME_FROM_COMMAND_MAX ? oneLine : `${[...oneLine].slice(0, NAME_FROM_COMMAND_MAX - 1).join("")}…`;
}
