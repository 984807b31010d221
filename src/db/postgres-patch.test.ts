/**
 * taskflow runs postgres.js with a patch (patches/postgres+*.patch, applied by
 * patch-package at `npm install`): without it, a database restart can kill the
 * process (porsager/postgres#1208), and so can a connection ended while it fetches
 * its array types (porsager/postgres#1192; connection-startup.test.ts). The build bundles whatever node_modules holds,
 * so a missing patch must fail here rather than ship.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

test("postgres.js carries the closed-socket write fix and the handled type-query failure", () => {
  const root = dirname(require.resolve("postgres/package.json"));
  for (const file of ["src/connection.js", "cjs/src/connection.js"]) {
    const source = readFileSync(join(root, file), "utf8");
    expect(source).toContain("taskflow patch (porsager/postgres#1208");
    expect(source).toContain("taskflow patch (porsager/postgres#1192");
  }
});
