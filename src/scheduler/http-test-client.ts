/**
 * For the scheduler's tests: a fresh database of one backend with the HTTP app on
 * it, called in-process through `app.handle()`, plus JSON request shorthands.
 */
import { sql } from "drizzle-orm";
import { openTestDatabase, type Backend, type TestDatabase } from "../../test/support/databases.ts";
import { parseConfig } from "../config/config.ts";
import type { Database } from "../db/client.ts";
import { roleLogger } from "../log/logger.ts";
import { ChangeFeed } from "./live/change-feed.ts";
import { buildHttpApp } from "./http-app.ts";

/** The scheduler's app on `database` with default config (no token) and an unstarted change feed. */
export function buildTestApp(database: Database) {
  const log = roleLogger("scheduler", "test");
  const { config } = parseConfig([], {});
  return buildHttpApp({ db: database.db, log, feed: new ChangeFeed(database, log), config });
}

export interface JsonAnswer {
  status: number;
  // Tests read answers loosely; the assertions are the schema.
  body: any;
  headers: Headers;
}

export class TestApi {
  private constructor(
    readonly database: TestDatabase,
    readonly app: ReturnType<typeof buildTestApp>,
  ) {}

  static async open(backend: Backend): Promise<TestApi> {
    const database = await openTestDatabase(backend);
    return new TestApi(database, buildTestApp(database));
  }

  get db() {
    return this.database.db;
  }

  /** Sends a request; a non-string `body` is sent as JSON. */
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonAnswer> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      init.headers = { "content-type": "application/json", ...headers };
    }
    const res = await this.app.handle(new Request(`http://localhost${path}`, init));
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

  /** Empties every table between tests that count rows. */
  async reset(): Promise<void> {
    await this.db.execute(sql`truncate tasks, task_attempts, task_events, workers, schedules`);
  }

  async count(table: "tasks" | "task_events" | "task_attempts"): Promise<number> {
    const r = await this.db.execute(sql.raw(`select count(*)::int as n from ${table}`));
    const rows = Array.isArray(r) ? r : (r as { rows: { n: number }[] }).rows;
    return Number(rows[0].n);
  }

  close(): Promise<void> {
    return this.database.close();
  }
}

/** A minimal valid task body with overrides. */
export function taskBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "hello", command: "echo hello", ...overrides };
}
