/** The database as a Service: opened and migrated first, closed last. */
import type { Service } from "../core/lifecycle.ts";
import type { Logger } from "../log/logger.ts";
import { openDatabase, type Database, type OpenOptions } from "./client.ts";
import { isNewDataDir, MEMORY_DATA_DIR, openingMessage } from "./data-dir.ts";
import { setUpNewDataDir } from "./first-start.ts";
import { embeddedTemplate, templateTar } from "./first-start-template.ts";
import { MIGRATIONS, migrate } from "./migrate.ts";
import { plural } from "../core/plural.ts";

export interface DatabaseServiceOptions {
  /**
   * Long-running processes without a template set up a new embedded folder in a child
   * (first-start.ts); `taskflow migrate` is that child.
   */
  firstStartInChild?: boolean;
  /** The caller already logged openingMessage() (main.ts does, before loading the roles' modules). */
  announced?: boolean;
}

export class DatabaseService implements Service {
  readonly name = "database";
  private opened: Database | null = null;
  private opening: Promise<void> | null = null;

  constructor(
    private readonly opts: OpenOptions,
    private readonly log: Logger,
    private readonly options: DatabaseServiceOptions = {},
  ) {}

  /** The open database; only valid after start(). */
  get database(): Database {
    if (!this.opened) throw new Error("database used before start()");
    return this.opened;
  }

  /**
   * Begins opening now; start() then waits for the same work. main.ts calls it before
   * loading the roles' modules, so a new folder's unpacking and PGlite's WebAssembly
   * compile (both off the main thread) overlap with that loading.
   */
  begin(): void {
    this.opening ??= this.open();
    // start() reports a failure; until it is called, the failure must not count as unhandled.
    this.opening.catch(() => {});
  }

  start(): Promise<void> {
    this.opening ??= this.open();
    return this.opening;
  }

  private async open(): Promise<void> {
    const where = this.opts.databaseUrl ? "PostgreSQL" : `embedded PostgreSQL in ${this.opts.dataDir}`;
    // Creating an embedded database takes seconds: say so before the wait, not after.
    if (!this.options.announced) this.log.info(openingMessage(this.opts));
    try {
      // A new folder is set up first (from the binary's template, or by a child); it then opens as on a restart.
      const setUp = this.embeddedFolder() && isNewDataDir(this.opts.dataDir) && (await setUpNewDataDir(this.opts.dataDir, this.log, { inChild: this.options.firstStartInChild ?? false }));
      // In memory, from the binary's template too: initdb there would run at every start.
      const memoryTemplate = this.inMemory() && !this.opts.loadDataDir ? embeddedTemplate() : undefined;
      this.opened = await openDatabase(memoryTemplate ? { ...this.opts, loadDataDir: await templateTar(memoryTemplate) } : this.opts);
      // migrate() still runs after a set-up: it finds nothing to do, or what a stale template lacks.
      const pending = await migrate(this.opened.db);
      const applied = setUp || memoryTemplate ? MIGRATIONS.length : pending;
      this.log.info("database ready ({where}), {migrations} applied", { where, applied, migrations: plural(applied, "migration") });
    } catch (err) {
      await this.close();
      throw new Error(`cannot open the database (${where}): ${describeDbError(err)}`);
    }
  }

  private embeddedFolder(): boolean {
    return !this.opts.databaseUrl && this.opts.dataDir !== MEMORY_DATA_DIR;
  }

  private inMemory(): boolean {
    return !this.opts.databaseUrl && this.opts.dataDir === MEMORY_DATA_DIR;
  }

  async stop(): Promise<void> {
    // Begun but never started (a later start-up step failed): let the open finish, then close.
    await this.opening?.catch(() => {});
    await this.close();
  }

  private async close(): Promise<void> {
    const d = this.opened;
    this.opened = null;
    await d?.close();
  }
}

function describeDbError(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { message?: string } };
  return e?.cause?.message ?? e?.message ?? e?.code ?? String(err);
}
