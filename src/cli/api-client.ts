/**
 * The CLI's only way to the HTTP API: JSON requests with the bearer token, and
 * the one place an answer that is not a success becomes a one-line error
 * (not reachable, 401, 404, 409, 422 naming each field, 503, anything else).
 */
import { CliError } from "./errors.ts";

/** A request that has not answered by then is reported rather than left hanging. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** The error body every API route answers (SPEC §3). */
interface ApiErrorBody {
  error?: string;
  message?: string;
  details?: { path: string; message: string }[];
}

/** API fields set by a CLI flag of another name, so a 422 can name the flag the user typed. */
const FIELD_FLAGS: Record<string, string> = {
  max_retries: "--retries",
  backoff_ms: "--backoff",
  timeout_ms: "--timeout",
  delay_ms: "--in",
  run_at: "--at",
  idempotency_key: "--idempotency-key",
  q: "--search",
  schedule_id: "--schedule",
};

/** A refusal from the server, with its HTTP status and error code. */
export class ApiError extends CliError {
  override name = "ApiError";
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message, 1);
  }
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | null,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  post<T>(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    return this.request<T>("POST", path, body, headers);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PATCH", path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>("DELETE", path);
  }

  /** Sends one request; resolves with the parsed JSON of a 2xx answer, else throws a one-line error. */
  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await this.fetch(path, {
      method,
      headers: body === undefined ? { ...this.headers(), ...headers } : { ...this.headers(), ...headers, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text === "" ? null : JSON.parse(text);
    } catch {
      throw new CliError(`${this.baseUrl} answered ${res.status} with a body that is not JSON: is --url pointing at taskflow?`);
    }
    if (res.ok) return json as T;
    throw describeRefusal(res.status, (json ?? {}) as ApiErrorBody, this.baseUrl, this.token !== null);
  }

  /** GET of a text answer (a stored log); a refusal becomes the usual one-line error. */
  async text(path: string): Promise<string> {
    const res = await this.fetch(path, { headers: { ...this.headers(), accept: "text/plain" }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = await res.text();
    if (res.ok) return body;
    let json: ApiErrorBody = {};
    try {
      json = JSON.parse(body) as ApiErrorBody;
    } catch {}
    throw describeRefusal(res.status, json, this.baseUrl, this.token !== null);
  }

  /** Opens GET /api/events (Server-Sent Events); the caller reads and closes the body. */
  openEvents(lastEventId: string | null, signal: AbortSignal): Promise<Response> {
    return this.openStream("/api/events", lastEventId, signal);
  }

  /** Opens a Server-Sent Events stream at `path` (resuming after `lastEventId`); the caller reads and closes the body. */
  async openStream(path: string, lastEventId: string | null, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { ...this.headers(), accept: "text/event-stream" };
    if (lastEventId) headers["last-event-id"] = lastEventId;
    const res = await this.fetch(path, { headers, signal });
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as ApiErrorBody;
      throw describeRefusal(res.status, body, this.baseUrl, this.token !== null);
    }
    return res;
  }

  private headers(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(this.baseUrl + path, init);
    } catch (err) {
      if (init.signal?.aborted && (init.signal.reason as Error)?.name !== "TimeoutError") throw err;
      throw new CliError(unreachable(this.baseUrl, err));
    }
  }
}

/** Why the server could not be reached, in words, with what to do about it. */
function unreachable(baseUrl: string, err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string };
  const why =
    e.name === "TimeoutError"
      ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
      : e.code === "ConnectionRefused" || e.code === "ECONNREFUSED"
        ? "connection refused"
        : (e.code ?? e.message ?? String(err));
  return `cannot reach taskflow at ${baseUrl} (${why}): is it running? Point --url or TASKFLOW_URL at its --http address`;
}

/**
 * A field's path as the user knows it.
 * @example fieldLabel("/task/max_retries") // "task/max_retries (--retries)"
 */
function fieldLabel(path: string): string {
  const name = path.replace(/^\//, "") || "body";
  const flag = FIELD_FLAGS[name.split("/").at(-1)!];
  return flag ? `${name} (${flag})` : name;
}

/** One line for a non-2xx answer. */
export function describeRefusal(status: number, body: ApiErrorBody, baseUrl: string, sentToken: boolean): ApiError {
  const code = body.error ?? `http_${status}`;
  const message = body.message ?? `HTTP ${status}`;
  switch (status) {
    case 401:
      return new ApiError(
        sentToken
          ? `${baseUrl} refused the token (401): check --token, --token-file or TASKFLOW_TOKEN`
          : `${baseUrl} needs a token (401): give it with --token-file, TASKFLOW_TOKEN or --token`,
        status,
        code,
      );
    case 422: {
      const fields = (body.details ?? []).map((d) => `${fieldLabel(d.path)} ${d.message}`);
      return new ApiError(fields.length > 0 ? `invalid: ${fields.join("; ")}` : message, status, code);
    }
    case 503:
      return new ApiError(`${baseUrl} is unavailable for now (503): ${message}`, status, code);
    default:
      return new ApiError(status === 404 || status === 409 ? message : `${baseUrl} answered ${status}: ${message}`, status, code);
  }
}
