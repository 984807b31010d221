/**
 * The first-start template: a new embedded database with every migration applied, as
 * a gzipped tar of its data folder, made at build time (build-first-start-template.ts)
 * and carried inside the binary. A new data folder is unpacked from it instead of
 * running initdb (a second PostgreSQL instance in WebAssembly, seconds of CPU) and the
 * migrations: a first start then costs what a restart costs, in time and in memory
 * (bench/README.md, footprint).
 */
import { mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

/** The build's `first-start-template.tar.gz`, as the binary names it (`first-start-template.tar-HASH.gz`). */
const EMBEDDED_NAME = /^first-start-template\.tar(-\w+)?\.gz$/;
/** Where a half-unpacked template waits inside the data folder until it is moved into place. */
const STAGING_PREFIX = ".unpacking-";
/** Written last: its presence is what marks a data folder as initialised (isNewDataDir). */
const PG_VERSION = "PG_VERSION";

/** The template embedded in this binary (an extra entrypoint of `npm run build`); none under `bun run`. */
export function embeddedTemplate(): Blob | undefined {
  return Bun.embeddedFiles.find((f) => EMBEDDED_NAME.test((f as Blob & { name?: string }).name ?? ""));
}

/**
 * `template` as the plain tar PGlite's `loadDataDir` reads (it takes gzip only from a
 * Blob typed as such): an in-memory database (`memory://`) starts from it, a copy
 * with no initdb and no migrations to run.
 */
export async function templateTar(template: Blob): Promise<Blob> {
  return new Blob([Bun.gunzipSync(await template.bytes())]);
}

/**
 * Unpacks `template` into `dataDir` (created if missing). PG_VERSION moves into place
 * last, so an unpack cut short leaves a folder that still counts as new and is
 * unpacked again at the next start, over what the last try left.
 */
export async function unpackTemplate(template: Blob, dataDir: string): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  for (const entry of readdirSync(dataDir)) if (entry.startsWith(STAGING_PREFIX)) rmSync(join(dataDir, entry), { recursive: true, force: true });
  // Staged inside the folder itself: one file system, so each move is a rename, and no
  // write outside the folder the user named.
  const staging = join(dataDir, `${STAGING_PREFIX}${process.pid}`);
  try {
    await new Bun.Archive(await template.bytes()).extract(staging);
    const entries = readdirSync(staging);
    if (!entries.includes(PG_VERSION)) throw new Error(`the template holds no ${PG_VERSION}`);
    for (const entry of [...entries.filter((e) => e !== PG_VERSION), PG_VERSION]) {
      rmSync(join(dataDir, entry), { recursive: true, force: true });
      renameSync(join(staging, entry), join(dataDir, entry));
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
