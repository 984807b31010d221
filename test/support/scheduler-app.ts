/**
 * The scheduler's test harness: a fresh database of one backend with the whole
 * HTTP app on it (and a running change feed, so SSE streams work), called
 * in-process through `app.handle()`. Shorthands for JSON requests, HTML pages,
 * forms and SSE streams; `queries` counts the queries the app started.
 */
import { sql } from "drizzle-orm";
import { parseConfig } from "../../src/config/config.ts";
import type { Database, Db } from "../../src/db/client.ts";
import { rows } from "../../src/db/sql.ts";
import { roleLogger } from "../../src/log/logger.ts";
import { buildHttpApp } from "../../src/scheduler/http-app.ts";
import { ChangeFeed } from "../../src/scheduler/live/change-feed.ts";
import { OutputFeed } from "../../src/scheduler/live/output-feed.ts";
import { openTestDatabase, type Backend, type TestDatabase } from "./databases.ts";
import { SseReader } from "./sse.ts";

/** The scheduler's app on `database` with default config (no token) and an unstarted change feed. */
export function buildTestApp(database: Database) {
  const log = roleLogger("scheduler", "test");
  const { config } = parseConfig([], {});
  return buildHttpApp({ db: database.db, log, feed: new ChangeFeed(database, log), outputs: new OutputFeed(database), config });
}

export interface JsonAnswer {
  status: number;
  // Tests read answers loosely; the assertions are the schema.
  body: any;
  headers: Headers;
}

/** Database calls that start a query (a transaction counts once). */
const QUERY_METHODS = new Set(["select", "selectDistinct", "execute", "transaction", "insert", "update", "delete"]);

export class SchedulerTestApp {
  /** Queries the HTTP app started (not the change feed's own loads). */
  readonly queries = { count: 0 };
  readonly app: ReturnType<typeof buildHttpApp>;

  private constructor(
    readonly database: TestDatabase,
    readonly feed: ChangeFeed,
    readonly outputs: OutputFeed,
    config: ReturnType<typeof parseConfig>["config"],
  ) {
    const log = roleLogger("scheduler", "test");
    this.app = buildHttpApp({ db: countingDb(database.db, this.queries), log, feed, outputs, config });
  }

  /** `flags` are taskflow flags for the app's config (e.g. `--token=…`). */
  static async open(backend: Backend, flags: string[] = []): Promise<SchedulerTestApp> {
    const database = await openTestDatabase(backend);
    const feed = new ChangeFeed(database, roleLogger("scheduler", "test"));
    await feed.start();
    const outputs = new OutputFeed(database);
    await outputs.start();
    return new SchedulerTestApp(database, feed, outputs, parseConfig(flags, {}).config);
  }

  get db() {
    return this.database.db;
  }

  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return this.app.handle(new Request(`http://localhost${path}`, init));
  }

  /** Sends a request to http://localhost (or `origin`). */
  send(method: string, path: string, init: { headers?: Record<string, string>; body?: BodyInit; origin?: string } = {}): Promise<Response> {
    return this.app.handle(new Request(`${init.origin ?? "http://localhost"}${path}`, { method, headers: init.headers, body: init.body }));
  }

  /** Sends a request; a non-string `body` is sent as JSON. */
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonAnswer> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      init.headers = { "content-type": "application/json", ...headers };
    }
    const res = await this.fetch(path, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed, headers: res.headers };
  }

  post(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request("POST", path, body, headers);
  }

  get(path: string) {
    return this.request("GET", path);
  }

  /** GET a page: its status and HTML. */
  async page(path: string): Promise<{ status: number; html: string; headers: Headers }> {
    const res = await this.fetch(path);
    return { status: res.status, html: await res.text(), headers: res.headers };
  }

  /** POST a form (urlencoded), without following redirects. */
  postForm(path: string, fields: Record<string, string>): Promise<Response> {
    return this.fetch(path, { method: "POST", body: new URLSearchParams(fields), headers: { "content-type": "application/x-www-form-urlencoded" } });
  }

  /** Opens an SSE stream; `close()` disconnects it like a browser leaving the page. */
  stream(path: string, headers: Record<string, string> = {}): SseReader {
    const abort = new AbortController();
    return new SseReader(this.fetch(path, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal }), abort);
  }

  /** Empties every table between tests that count rows. */
  async reset(): Promise<void> {
    await this.db.execute(sql`truncate tasks, task_attempts, task_output_chunks, task_events, workers, schedules, schedule_ticks, queues, concurrency_keys, task_dependencies`);
  }

  async count(table: "tasks" | "task_events" | "task_attempts"): Promise<number> {
    return Number(rows<{ n: number }>(await this.db.execute(sql.raw(`select count(*)::int as n from ${table}`)))[0]!.n);
  }

  async close(): Promise<void> {
    await this.feed.stop();
    await this.outputs.stop();
    await this.database.close();
  }
}

/** `db` counting every query started through it. */
function countingDb(db: Db, counter: { count: number }): Db {
  return new Proxy(db, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function" || !QUERY_METHODS.has(String(prop))) return value;
      return (...args: unknown[]) => {
        counter.count++;
        return value.apply(target, args);
      };
    },
  });
}

/** A minimal valid task body with overrides. */
export function taskBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "hello", command: "echo hello", ...overrides };
}
