/**
 * Typed domain errors. The HTTP layer maps each to one status in one place
 * (src/scheduler/http-errors.ts); role code throws these, never HTTP codes.
 */

/** One bad field: its JSON path (e.g. "/tasks/3/priority") and what is wrong. */
export interface FieldProblem {
  path: string;
  message: string;
}

export class NotFoundError extends Error {
  override name = "NotFoundError";
}

export class ConflictError extends Error {
  override name = "ConflictError";
}

export class ValidationError extends Error {
  override name = "ValidationError";
  constructor(
    message: string,
    readonly details: FieldProblem[],
  ) {
    super(message);
  }
}

/** The database cannot be reached right now; callers should answer 503 and retry later. */
export class UnavailableError extends Error {
  override name = "UnavailableError";
}

/** Wraps an unknown thrown value as an Error, keeping the original as `cause`. */
export function coerceError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new Error(typeof err === "string" ? err : JSON.stringify(err), { cause: err });
}
