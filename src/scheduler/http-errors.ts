/**
 * The one place errors become HTTP answers (SPEC §3): JSON `{error, message, details}`,
 * 400 malformed JSON, 404, 409, 413, 422 with every bad field by path, 503 while the
 * database is away, and never a stack trace. Register it before any route: Elysia's
 * onError applies only to routes added after it.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Elysia } from "elysia";
import { ConflictError, NotFoundError, UnavailableError, ValidationError, type FieldProblem } from "../core/errors.ts";
import { isConnectionError } from "../db/connection-errors.ts";
import type { Logger } from "../log/logger.ts";

/** Seconds a client should wait before retrying a 503 (the Retry-After header). */
export const RETRY_AFTER_S = 2;

/** Every error answer's shape; `$id` names it `Error` in the OpenAPI document. */
export const ErrorBodySchema = Type.Object(
  {
    error: Type.String({ description: "a stable code, e.g. validation_failed, not_found, unauthorized" }),
    message: Type.String(),
    details: Type.Array(Type.Object({ path: Type.String({ description: "JSON pointer, e.g. /tasks/0/priority" }), message: Type.String() }), {
      description: "for 422: each bad field by JSON pointer; otherwise empty",
    }),
  },
  { $id: "Error" },
);
export type ErrorBody = Static<typeof ErrorBodySchema>;

/** An HTTP-level refusal with no domain meaning (413 too large, 415 not JSON): its status and code travel as is. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function errorBody(error: string, message: string, details: FieldProblem[] = []): ErrorBody {
  return { error, message, details };
}

/** Maps a thrown value to a status and body; anything unexpected is a logged 500 without details. */
export function toHttpError(code: string | number, err: unknown, log: Logger): { status: number; body: ErrorBody } {
  if (err instanceof HttpError) return { status: err.status, body: errorBody(err.code, err.message) };
  if (err instanceof ValidationError) return { status: 422, body: errorBody("validation_failed", err.message, err.details) };
  if (err instanceof NotFoundError) return { status: 404, body: errorBody("not_found", err.message) };
  if (err instanceof ConflictError) return { status: 409, body: errorBody("conflict", err.message) };
  if (err instanceof UnavailableError || isConnectionError(err)) {
    return { status: 503, body: errorBody("unavailable", "the database is unavailable; retry shortly") };
  }
  // An answer that missed its route's `response` schema is this server's fault, not the request's.
  if (code === "VALIDATION" && (err as { type?: unknown })?.type === "response") return internal(err, log);
  switch (code) {
    case "VALIDATION":
      return { status: 422, body: errorBody("validation_failed", "the request has invalid fields", validationProblems(err)) };
    case "PARSE":
      return { status: 400, body: errorBody("malformed_json", "the request body is not valid JSON") };
    case "NOT_FOUND":
      return { status: 404, body: errorBody("not_found", "no such route") };
    case "INVALID_COOKIE_SIGNATURE":
      return { status: 401, body: errorBody("unauthorized", "invalid session") };
  }
  const status = (err as { status?: unknown })?.status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return { status, body: errorBody(status === 413 ? "payload_too_large" : "bad_request", (err as Error).message ?? "bad request") };
  }
  return internal(err, log);
}

function internal(err: unknown, log: Logger): { status: number; body: ErrorBody } {
  log.error("unexpected error handling a request: {error}", { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  return { status: 500, body: errorBody("internal", "internal error") };
}

/** Elysia's ValidationError lists every failing value; we keep its path and message only. */
function validationProblems(err: unknown): FieldProblem[] {
  const all = (err as { all?: { path?: string; message?: string; summary?: string }[] }).all ?? [];
  const seen = new Set<string>();
  const out: FieldProblem[] = [];
  for (const e of all) {
    const path = e.path || "/";
    const message = e.summary ?? e.message ?? "invalid";
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
  }
  return out.length ? out : [{ path: "/", message: "invalid request" }];
}

export function httpErrors(log: Logger, onUnavailable: () => void = () => {}) {
  return new Elysia({ name: "http-errors" }).onError({ as: "global" }, ({ code, error, set }) => {
    const { status, body } = toHttpError(code, error, log);
    set.status = status;
    set.headers["content-type"] = "application/json";
    if (status === 503) {
      set.headers["retry-after"] = String(RETRY_AFTER_S);
      onUnavailable();
    }
    return body;
  });
}
