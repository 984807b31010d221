/**
 * Bun macro: reads drizzle/ at bundle time, so the migrations travel inside the
 * compiled binary as a literal and `taskflow` needs no drizzle/ folder beside it.
 */
import { readMigrationFiles, type MigrationMeta } from "drizzle-orm/migrator";
import { join } from "node:path";

export function embeddedMigrations(): MigrationMeta[] {
  return readMigrationFiles({ migrationsFolder: join(import.meta.dir, "../../drizzle") });
}
