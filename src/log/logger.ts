/**
 * Structured logging for every role (LogTape): coloured, aligned lines on a TTY,
 * JSON lines otherwise. Each logger's category names its role and component
 * (e.g. taskflow.coordinator.dispatcher), which both formats print. Messages name
 * their key fields with placeholders ("task {taskId} completed") because the pretty
 * format hides properties; JSON lines carry every property.
 */
import {
  configureSync,
  getAnsiColorFormatter,
  getLogger,
  resetSync,
  type LogRecord,
  type Logger,
  type TextFormatter,
} from "@logtape/logtape";
import type { LogFormat, LogLevel } from "../config/config.ts";

export type { Logger };

const ROOT = "taskflow";

/** ANSI colours per role, so interleaved output of `--role=all` reads at a glance. */
const ROLE_COLOURS: Record<string, string> = {
  scheduler: "\x1b[36m", // cyan
  coordinator: "\x1b[35m", // magenta
  worker: "\x1b[32m", // green
  db: "\x1b[33m", // yellow
};
const DIM = "\x1b[2m";
const RESET = "\x1b[0m";

function prettyFormatter(): TextFormatter {
  return getAnsiColorFormatter({
    timestamp: "time",
    // Strings print bare (no quotes); other values as util.inspect shows them.
    value: (v, inspect) => (typeof v === "string" ? v : inspect(v, { colors: true })),
    format: ({ timestamp, level, message, record }) => {
      const colour = ROLE_COLOURS[String(record.category[1])] ?? DIM;
      const role = record.category.slice(1).join("·").padEnd(22);
      return `${DIM}${timestamp}${RESET} ${level} ${colour}${role}${RESET} ${message}`;
    },
  });
}

/** One JSON object per line: time, level, logger, the rendered message, then every property. */
function jsonLinesFormatter(record: LogRecord): string {
  const message = record.message.map((part, i) => (i % 2 === 0 ? String(part) : renderValue(part))).join("");
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record.properties)) props[k] = v instanceof Error ? { name: v.name, message: v.message } : v;
  return `${JSON.stringify({ time: new Date(record.timestamp).toISOString(), level: record.level, logger: record.category.join("."), message, ...props })}\n`;
}

function renderValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (v instanceof Error) return v.message;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Configures the process-wide log sink once; later calls replace the configuration. */
export function setupLogging(opts: { format: LogFormat; level: LogLevel; write?: (line: string) => void }): void {
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const formatter: TextFormatter =
    opts.format === "pretty"
      ? prettyFormatter()
      : jsonLinesFormatter;
  resetSync();
  configureSync({
    reset: true,
    sinks: { out: (record: LogRecord) => write(formatter(record)) },
    loggers: [
      // LogTape calls "warn" "warning".
      { category: [ROOT], lowestLevel: opts.level === "warn" ? "warning" : opts.level, sinks: ["out"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["out"] },
    ],
  });
}

/** The logger of one role or component: `roleLogger("coordinator", "dispatcher")`. */
export function roleLogger(...path: string[]): Logger {
  return getLogger([ROOT, ...path]);
}
