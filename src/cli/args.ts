/**
 * Parses one subcommand's arguments with node:util parseArgs, from its spec.
 * Words after the first `--` are the shell command (for commands that take one)
 * and are never read as flags. Every mistake is a one-line UsageError.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";
import type { CommandSpec, ParsedArgs } from "./spec.ts";

export function parseCommandArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  const split = argv.indexOf("--");
  const flags = split >= 0 ? argv.slice(0, split) : argv;
  const command = split >= 0 ? argv.slice(split + 1) : null;
  if (command !== null && !spec.takesCommand) throw new UsageError(`taskflow ${spec.name} takes no command after -- (see taskflow help ${spec.name})`);
  const options = Object.fromEntries(
    Object.entries(spec.options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
  );
  try {
    const parsed = parseArgs({ args: flags, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
    return { values: parsed.values as ParsedArgs["values"], positionals: parsed.positionals, command };
  } catch (err) {
    throw new UsageError(describe(err, spec.name));
  }
}

/** parseArgs's message, shortened to what a user needs. */
function describe(err: unknown, command: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  const see = `(see taskflow help ${command})`;
  const unknown = msg.match(/Unknown option '([^']+)'/);
  if (unknown) return `unknown flag ${unknown[1]} for ${command} ${see}`;
  const needsValue = msg.match(/Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/);
  if (needsValue) return `${needsValue[1]} needs a value ${see}`;
  const noValue = msg.match(/Option '(--[\w-]+)' does not take an argument/);
  if (noValue) return `${noValue[1]} takes no value ${see}`;
  return `${msg.split("\n")[0]} ${see}`;
}

/** A flag's string value (the last one when repeated), or undefined. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  if (Array.isArray(v)) return v.at(-1);
  return typeof v === "string" ? v : undefined;
}

export function boolFlag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

export function listFlag(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}

/** A whole number within bounds, or a UsageError naming the flag. */
export function intFlag(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = stringFlag(args, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) throw new UsageError(`--${name}="${v}" must be a whole number from ${min} to ${max}`);
  return Number(v);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration in milliseconds: units ms, s, m, h, d, combinable; a bare number is seconds.
 * @example parseDuration("1h30m") // 5400000
 */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(t)) return null;
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Math.round(ms);
}

export function durationFlag(args: ParsedArgs, name: string): number | undefined {
  const v = stringFlag(args, name);
  if (v === undefined) return undefined;
  const ms = parseDuration(v);
  if (ms === null) throw new UsageError(`--${name}="${v}" must be a duration such as 500ms, 30s, 5m, 2h or 1h30m`);
  return ms;
}
