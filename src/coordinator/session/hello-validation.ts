/**
 * What a worker may tell the coordinator, checked like API input: a Hello's
 * fields (name, host, version lengths; concurrency 1–10,000; queue names by the
 * API's pattern; labels by core/labels.ts), and a result's output tails and error, which are cut to what
 * the worker itself keeps (the last 64 KiB) before anything is stored. A
 * worker holds a credential, but a compromised one must not be able to write
 * megabytes into every dashboard or claim a million slots.
 */
import { isQueueName } from "../../core/queue-name.ts";
import { labelProblems, WORKER_LABELS_MAX } from "../../core/labels.ts";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "../../log/logger.ts";
import type { ConnectServerStream, HelloOutput } from "../../proto/index.ts";

export const HELLO_LIMITS = {
  nameChars: 200,
  hostChars: 255,
  versionChars: 64,
  concurrencyMax: 10_000,
  queuesMax: 100,
  runningMax: 10_000,
} as const;
/** A result's stdout and stderr tails are stored up to this many bytes (their ends). */
export const OUTPUT_TAIL_MAX_BYTES = 64 * 1024;
/** A result's error message is stored up to this many characters. */
export const ERROR_MAX_CHARS = 4096;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Every problem of a Hello, each naming its field; empty when it is acceptable.
 * @example helloProblems({ ...hello, concurrency: 0 }) // ["concurrency must be a whole number from 1 to 10000 (got 0)"]
 */
export function helloProblems(h: HelloOutput): string[] {
  const problems: string[] = [];
  const text = (field: string, value: string, max: number) => {
    if (value.length > max) problems.push(`${field} must be at most ${max} characters (got ${value.length})`);
    else if (CONTROL.test(value)) problems.push(`${field} must not contain control characters`);
  };
  text("name", h.name, HELLO_LIMITS.nameChars);
  text("host", h.host, HELLO_LIMITS.hostChars);
  text("version", h.version, HELLO_LIMITS.versionChars);
  if (!Number.isInteger(h.concurrency) || h.concurrency < 1 || h.concurrency > HELLO_LIMITS.concurrencyMax) {
    problems.push(`concurrency must be a whole number from 1 to ${HELLO_LIMITS.concurrencyMax} (got ${h.concurrency})`);
  }
  if (h.queues.length > HELLO_LIMITS.queuesMax) problems.push(`queues must list at most ${HELLO_LIMITS.queuesMax} names (got ${h.queues.length})`);
  const bad = h.queues.find((q) => !isQueueName(q));
  if (bad !== undefined) problems.push(`queues: "${bad.slice(0, 64)}${bad.length > 64 ? "…" : ""}" is not a queue name (1–64 characters [a-z0-9_-])`);
  if (h.running.length > HELLO_LIMITS.runningMax) problems.push(`running must list at most ${HELLO_LIMITS.runningMax} attempts (got ${h.running.length})`);
  if (h.previous_worker_id !== "" && !UUID.test(h.previous_worker_id)) problems.push("previous_worker_id must be empty or a worker id (UUID)");
  // Placement (docs/placement.md): the same key and value rules as task selectors.
  for (const [key, message] of labelProblems(h.labels ?? {}, WORKER_LABELS_MAX)) problems.push(`labels${key ? `.${key.slice(0, 64)}` : ""}: ${message}`);
  return problems;
}

/** The last OUTPUT_TAIL_MAX_BYTES of an output tail, whatever the worker sent. */
export function capTail<T extends Uint8Array>(bytes: T | undefined): T | undefined {
  if (!bytes || bytes.length <= OUTPUT_TAIL_MAX_BYTES) return bytes;
  return bytes.subarray(bytes.length - OUTPUT_TAIL_MAX_BYTES) as T;
}

/** A result's error message cut to ERROR_MAX_CHARS. */
export function capError(error: string): string {
  return error.length <= ERROR_MAX_CHARS ? error : `${error.slice(0, ERROR_MAX_CHARS - 1)}…`;
}

/** False (and the stream ended with INVALID_ARGUMENT naming the fields) when the Hello breaks the rules. */
export function acceptableHello(stream: ConnectServerStream, hello: HelloOutput, log: Logger): boolean {
  const problems = helloProblems(hello);
  if (problems.length === 0) return true;
  log.warn("refused a worker from {peer}: bad hello: {problems}", { peer: stream.getPeer(), problems: problems.join("; ") });
  stream.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: `bad hello: ${problems.join("; ")}` });
  return false;
}
