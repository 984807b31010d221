/** The database as a Service: opened and migrated first, closed last. */
import type { Service } from "../core/lifecycle.ts";
import type { Logger } from "../log/logger.ts";
import { openDatabase, type Database, type OpenOptions } from "./client.ts";
import { migrate } from "./migrate.ts";

export class DatabaseService implements Service {
  readonly name = "database";
  private opened: Database | null = null;

  constructor(
    private readonly opts: OpenOptions,
    private readonly log: Logger,
  ) {}

  /** The open database; only valid after start(). */
  get database(): Database {
    if (!this.opened) throw new Error("database used before start()");
    return this.opened;
  }

  async start(): Promise<void> {
    const where = this.opts.databaseUrl ? "PostgreSQL" : `embedded PostgreSQL in ${this.opts.dataDir}`;
    try {
      this.opened = await openDatabase(this.opts);
      const applied = await migrate(this.opened.db);
      this.log.info("database ready ({where}), {applied} migration(s) applied", { where, applied });
    } catch (err) {
      await this.stop();
      throw new Error(`cannot open the database (${where}): ${describeDbError(err)}`);
    }
  }

  async stop(): Promise<void> {
    const d = this.opened;
    this.opened = null;
    await d?.close();
  }
}

function describeDbError(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { message?: string } };
  return e?.cause?.message ?? e?.message ?? e?.code ?? String(err);
}
