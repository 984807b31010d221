/**
 * The XSS scan: @kitajs/ts-html-plugin's `xss-scan` type-checks every view and
 * fails on any child expression that is not escaped (`safe`) or known safe.
 * A canary with one unescaped child proves the scan really runs.
 */
import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(import.meta.dir, "..");
const CLI = join(ROOT, "node_modules/@kitajs/ts-html-plugin/dist/cli.js");

function scan(files: string[]) {
  const r = Bun.spawnSync([process.execPath, CLI, ...files], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  return { exitCode: r.exitCode, output: `${r.stdout.toString()}${r.stderr.toString()}` };
}

// One scan of every view plus a canary with one unescaped child (a scan type-checks the
// whole program, so two scans cost twice): the canary's error proves the scan really
// runs, and it must be the only error, so every view is clean.
test("xss-scan finds no unescaped content in views/, and does flag an unescaped child (the scan is real)", () => {
  const files = [...new Bun.Glob("views/**/*.tsx").scanSync({ cwd: ROOT })];
  expect(files.length).toBeGreaterThan(10);
  // Inside the project (test-output/ is git-ignored), so the scan uses the project's tsconfig (JSX settings).
  mkdirSync(join(ROOT, "test-output"), { recursive: true });
  const dir = mkdtempSync(join(ROOT, "test-output", "xss-canary-"));
  try {
    const canary = relative(ROOT, join(dir, "unsafe.tsx"));
    writeFileSync(join(ROOT, canary), "export function Bad({ name }: { name: string }) {\n  return <div>{name}</div>;\n}\n");
    const { exitCode, output } = scan([...files, canary]);
    const errors = output.split("\n").filter((line) => /: error /.test(line));
    if (errors.length !== 1) console.error(output);
    expect(exitCode).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toStartWith(`${canary}(2,`);
    expect(errors[0]).toContain("K601");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // A type-check of the whole program: over 60 s at load 30 (the runner then kills the scan).
}, 240_000);
