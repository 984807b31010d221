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

test("xss-scan finds no unescaped content in views/", () => {
  const files = [...new Bun.Glob("views/**/*.tsx").scanSync({ cwd: ROOT })];
  expect(files.length).toBeGreaterThan(10);
  const { exitCode, output } = scan(files);
  if (exitCode !== 0) console.error(output);
  expect(exitCode).toBe(0);
  expect(output).toContain("No XSS vulnerabilities found");
}, 60_000);

test("xss-scan fails on an unescaped child (the scan is real)", () => {
  // Inside the project (test-output/ is git-ignored), so the scan uses the project's tsconfig (JSX settings).
  mkdirSync(join(ROOT, "test-output"), { recursive: true });
  const dir = mkdtempSync(join(ROOT, "test-output", "xss-canary-"));
  try {
    const file = join(dir, "unsafe.tsx");
    writeFileSync(file, "export function Bad({ name }: { name: string }) {\n  return <div>{name}</div>;\n}\n");
    const { exitCode, output } = scan([relative(ROOT, file)]);
    expect(exitCode).toBe(1);
    expect(output).toContain("K601");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
