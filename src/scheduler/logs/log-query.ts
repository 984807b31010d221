/**
 * The query of the log routes (GET /api/tasks/:id/log, …/attempts/:n/log), checked
 * by hand like the task list's: each bad parameter is named in the 422's details.
 * LogQuery is the same parameters as a TypeBox schema, for the OpenAPI document.
 */
import { Type } from "@sinclair/typebox";
import type { FieldProblem } from "../../core/errors.ts";
import type { OutputSelection } from "../../db/queries/read-output.ts";

/** One JSON answer holds at most this much output by default… */
export const JSON_LIMIT_DEFAULT = 1024 * 1024;
/** …and any answer at most this much (a whole stored log fits: --max-log-bytes is per attempt). */
export const LIMIT_MAX = 64 * 1024 * 1024;

export interface LogQuery {
  stream: OutputSelection;
  offset: number;
  limit: number;
  follow: boolean;
  format: "text" | "json";
  download: boolean;
}

export const LogQuerySchema = Type.Object({
  stream: Type.Optional(Type.Union([Type.Literal("stdout"), Type.Literal("stderr"), Type.Literal("both")], { default: "both", description: "which output: stdout, stderr, or both interleaved in arrival order (offsets then count both)" })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: "read from this byte offset (next_offset of the previous answer)" })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMIT_MAX, description: `bytes to read at most (whole chunks); default ${JSON_LIMIT_DEFAULT} for JSON, everything for text` })),
  format: Type.Optional(Type.Union([Type.Literal("text"), Type.Literal("json")], { description: "text/plain (default, or by Accept) or JSON with offsets" })),
  follow: Type.Optional(Type.Boolean({ description: "1: a Server-Sent Events stream of the output from offset until the attempt ends (resume with Last-Event-ID)" })),
  download: Type.Optional(Type.Boolean({ description: "1: answer as an attachment (text)" })),
});

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

/** Reads the query; `accept` picks JSON when the format is not given. */
export function parseLogQuery(params: URLSearchParams, accept: string | null): Checked<LogQuery> {
  const problems: FieldProblem[] = [];
  const bad = (name: string, message: string) => problems.push({ path: `/${name}`, message });
  const stream = params.get("stream") ?? "both";
  if (stream !== "stdout" && stream !== "stderr" && stream !== "both") bad("stream", "must be stdout, stderr or both");
  const int = (name: string, min: number, max: number): number | null => {
    const v = params.get(name);
    if (v === null || v === "") return null;
    if (!/^\d{1,15}$/.test(v) || Number(v) < min || Number(v) > max) {
      bad(name, `must be a whole number from ${min} to ${max}`);
      return null;
    }
    return Number(v);
  };
  const bool = (name: string): boolean => {
    const v = params.get(name);
    if (v === null || v === "" || v === "0" || v === "false") return false;
    if (v === "1" || v === "true") return true;
    bad(name, "must be 1 or 0");
    return false;
  };
  const offset = int("offset", 0, Number.MAX_SAFE_INTEGER) ?? 0;
  const limit = int("limit", 1, LIMIT_MAX);
  const formatParam = params.get("format");
  if (formatParam !== null && formatParam !== "text" && formatParam !== "json") bad("format", "must be text or json");
  const format = formatParam === "json" || formatParam === "text" ? formatParam : accept?.includes("application/json") ? "json" : "text";
  const follow = bool("follow");
  const download = bool("download");
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { stream: stream as OutputSelection, offset, limit: limit ?? (format === "json" ? JSON_LIMIT_DEFAULT : LIMIT_MAX), follow, format, download } };
}

/**
 * How many leading bytes of `bytes` end on a whole UTF-8 character: a follower
 * holds back a character cut in two until its other half is stored.
 * @example completeUtf8Length(new Uint8Array([0x61, 0xc3])) // 1
 */
export function completeUtf8Length(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = bytes[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}
