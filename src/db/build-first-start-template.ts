/**
 * Build step (package.json's "build", before `bun build --compile`): writes the
 * first-start template (first-start-template.ts) to the path given, for the compile to
 * embed. The template is remade only when what makes it changed (PGlite's version,
 * the migrations, this file and client.ts), as ~3–10 s of initdb and migrations per
 * build would otherwise be paid again by every build.
 *
 *     bun src/db/build-first-start-template.ts build/first-start-template.tar.gz
 */
import { sql } from "drizzle-orm";
import type { MigrationMeta } from "drizzle-orm/migrator";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { openDatabase } from "./client.ts";
import { MEMORY_DATA_DIR } from "./data-dir.ts";
import { MIGRATIONS, migrate } from "./migrate.ts";

/**
 * A new embedded database with `migrations` applied by migrate() itself (so drizzle's
 * bookkeeping table holds exactly what an upgrade expects), as a gzipped tar of its
 * data folder.
 */
export async function makeFirstStartTemplate(migrations: MigrationMeta[] = MIGRATIONS): Promise<Blob> {
  const database = await openDatabase({ databaseUrl: null, dataDir: MEMORY_DATA_DIR });
  try {
    await migrate(database.db, migrations);
    // Writes the migrations into the data files: an unpacked copy replays no WAL when it opens.
    await database.db.execute(sql`checkpoint`);
    const tar = await database.dumpDataDir!();
    return new Blob([Bun.gzipSync(await tar.bytes(), { level: 9 })]);
  } finally {
    await database.close();
  }
}

/** What the template is made from, as a short hash: a different key means a different template. */
function templateKey(): string {
  const root = join(import.meta.dir, "../..");
  const pglite = readFileSync(join(root, "node_modules/@electric-sql/pglite/package.json"), "utf8");
  const sources = [import.meta.path, join(import.meta.dir, "client.ts")].map((p) => readFileSync(p, "utf8"));
  const migrations = MIGRATIONS.map((m) => `${m.folderMillis}:${m.hash}`).join(",");
  return new Bun.CryptoHasher("sha256").update([JSON.parse(pglite).version, migrations, ...sources].join("\0")).digest("hex").slice(0, 16);
}

async function main(out: string | undefined): Promise<void> {
  if (!out) throw new Error("usage: bun src/db/build-first-start-template.ts OUTFILE");
  const key = templateKey();
  const keyFile = `${out}.key`;
  if (existsSync(out) && existsSync(keyFile) && readFileSync(keyFile, "utf8") === key) return;
  mkdirSync(dirname(out), { recursive: true });
  const partial = `${out}.${process.pid}.partial`;
  await Bun.write(partial, await makeFirstStartTemplate());
  renameSync(partial, out);
  await Bun.write(keyFile, key);
}

if (import.meta.main) await main(process.argv[2]);
