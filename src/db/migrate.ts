/**
 * Applies the embedded drizzle migrations, in drizzle's own bookkeeping table
 * (drizzle.__drizzle_migrations) so drizzle-kit agrees with us. The whole run holds a
 * transaction-scoped advisory lock, so several processes starting at once apply
 * each migration exactly once and the others wait, then find nothing to do.
 */
import { sql } from "drizzle-orm";
import type { MigrationMeta } from "drizzle-orm/migrator";
import { embeddedMigrations } from "./embedded-migrations.ts" with { type: "macro" };
import type { Db } from "./client.ts";
import { rows } from "./sql.ts";

/** Arbitrary constant naming taskflow's migration lock among advisory locks. */
const MIGRATION_LOCK_KEY = 7_345_001;

export const MIGRATIONS: MigrationMeta[] = embeddedMigrations();

/** Applies pending migrations; returns how many were applied. */
export async function migrate(db: Db, migrations: MigrationMeta[] = MIGRATIONS): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.execute(sql`create schema if not exists drizzle`);
    await tx.execute(sql`create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`);
    const last = await lastAppliedMillis(tx);
    let applied = 0;
    for (const m of migrations) {
      if (last !== null && m.folderMillis <= last) continue;
      for (const stmt of m.sql) if (stmt.trim()) await tx.execute(sql.raw(stmt));
      await tx.execute(sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${m.hash}, ${m.folderMillis})`);
      applied++;
    }
    return applied;
  });
}

/** True when every embedded migration is applied (the readiness check). */
export async function migrationsApplied(db: Db, migrations: MigrationMeta[] = MIGRATIONS): Promise<boolean> {
  const newest = migrations.at(-1)?.folderMillis ?? 0;
  const exists = rows<{ t: string | null }>(await db.execute(sql`select to_regclass('drizzle.__drizzle_migrations')::text as t`));
  if (!exists[0]?.t) return migrations.length === 0;
  const last = await lastAppliedMillis(db);
  return last !== null && last >= newest;
}

async function lastAppliedMillis(db: Pick<Db, "execute">): Promise<number | null> {
  const r = rows<{ created_at: string | number | null }>(
    await db.execute(sql`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`),
  );
  return r[0]?.created_at == null ? null : Number(r[0].created_at);
}
