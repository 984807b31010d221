/**
 * For the dashboard's tests: the whole scheduler app on a fresh database with a
 * running change feed, called in-process through `app.handle()`, plus readers
 * for HTML pages and SSE streams.
 */
import { parseConfig } from "../../config/config.ts";
import type { Db } from "../../db/client.ts";
import { roleLogger } from "../../log/logger.ts";
import { openTestDatabase, type Backend, type TestDatabase } from "../../../test/support/databases.ts";
import { waitFor } from "../../../test/support/processes.ts";
import { ChangeFeed } from "../live/change-feed.ts";
import { buildHttpApp } from "../http-app.ts";

export interface SseEvent {
  event: string;
  id: string | null;
  data: string;
}

/** Database calls that start a query (a transaction counts once). */
const QUERY_METHODS = new Set(["select", "selectDistinct", "execute", "transaction", "insert", "update", "delete"]);

export class DashboardTestApp {
  /** Queries the HTTP app started (not the change feed's own loads). */
  readonly queries = { count: 0 };

  private constructor(
    readonly database: TestDatabase,
    readonly feed: ChangeFeed,
    private appRef: ReturnType<typeof buildHttpApp> | null,
  ) {}

  get app(): ReturnType<typeof buildHttpApp> {
    return this.appRef!;
  }

  /** `args` are taskflow flags for the app's config (e.g. `--token=…`). */
  static async open(backend: Backend, args: string[] = []): Promise<DashboardTestApp> {
    const database = await openTestDatabase(backend);
    const log = roleLogger("scheduler", "test");
    const feed = new ChangeFeed(database, log);
    await feed.start();
    const { config } = parseConfig(args, {});
    const t = new DashboardTestApp(database, feed, null);
    t.appRef = buildHttpApp({ db: countingDb(database.db, t.queries), log, feed, config });
    return t;
  }

  get db() {
    return this.database.db;
  }

  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return this.app.handle(new Request(`http://localhost${path}`, init));
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
    const res = this.fetch(path, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
    return new SseReader(res, abort);
  }

  async close(): Promise<void> {
    await this.feed.stop();
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

/** Collects a stream's events as they arrive. */
export class SseReader {
  readonly events: SseEvent[] = [];
  /** Everything received, for framing checks. */
  raw = "";
  readonly response: Promise<Response>;
  private done = false;

  constructor(
    response: Promise<Response>,
    private readonly abort: AbortController,
  ) {
    this.response = response;
    void this.pump();
  }

  private async pump(): Promise<void> {
    const res = await this.response;
    if (!res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      while (!this.done) {
        const { done, value } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        this.raw += text;
        buffer += text;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const e = parseEvent(block);
          if (e) this.events.push(e);
        }
      }
    } catch {
      // Aborted.
    }
  }

  /** Waits for an event matching `pred` (by default any event named `event`). */
  async next(event: string, pred: (e: SseEvent) => boolean = () => true, timeoutMs = 5000): Promise<SseEvent> {
    return waitFor(`SSE event ${event}`, () => this.events.find((e) => e.event === event && pred(e)), timeoutMs, 10);
  }

  named(event: string): SseEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  close(): void {
    this.done = true;
    this.abort.abort();
  }
}

function parseEvent(block: string): SseEvent | null {
  let event = "message";
  let id: string | null = null;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":") || line === "") continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "id") id = value;
    else if (field === "data") data.push(value);
  }
  return data.length === 0 ? null : { event, id, data: data.join("\n") };
}
