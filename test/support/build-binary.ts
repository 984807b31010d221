/**
 * Builds the taskflow binary exactly as `npm run build` does (package.json's "build"
 * script, so extra entrypoints such as the spawn thread are never forgotten), into
 * `outfile`, with the Bun running the tests. CI builds ./taskflow once before the
 * tests and names it in TASKFLOW_BUILT_BINARY, so the test files that need a binary
 * take that one instead of each building its own (builtBinary()).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");

export function buildCommand(outfile: string): string {
  const script: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.build;
  if (!/ --outfile taskflow\b/.test(script)) throw new Error(`unexpected build script: ${script}`);
  // Every `bun` of the script (the template step and the compile) is the Bun running the tests.
  return script.replace(/(^|&& )bun /g, `$1'${process.execPath}' `).replace(/ --outfile taskflow\b/, ` --outfile '${outfile}'`);
}

/** Runs the build; throws with the compiler's output when it fails. */
export function buildBinary(outfile: string): void {
  const build = Bun.spawnSync(["/bin/sh", "-c", buildCommand(outfile)], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`build failed:\n${build.stderr.toString()}`);
}

/**
 * The binary built from this tree: TASKFLOW_BUILT_BINARY when set (a build of these
 * sources, made before the tests), else a fresh build into `outfile`.
 */
export function builtBinary(outfile: string): string {
  const prebuilt = process.env.TASKFLOW_BUILT_BINARY;
  if (prebuilt) {
    if (!existsSync(prebuilt)) throw new Error(`TASKFLOW_BUILT_BINARY=${prebuilt} does not exist`);
    return prebuilt;
  }
  buildBinary(outfile);
  return outfile;
}
