/**
 * Some tests need a system program that a machine with only Node and npm lacks
 * (Chromium, nginx, docker-compose). There they are skipped with a visible reason,
 * so `npm test` stays green on a fresh machine; CI installs the programs and sets
 * TASKFLOW_SYSTEM_TESTS=required, so there a missing program fails instead of
 * letting the tests pass by skipping.
 */
import { existsSync } from "node:fs";

/** True when `program` is found; otherwise warns (or throws in CI) and returns false. */
export function systemToolAvailable(program: string, found: boolean, install: string): boolean {
  if (found) return true;
  const message = `${program} is not installed (${install})`;
  if (process.env.TASKFLOW_SYSTEM_TESTS === "required") throw new Error(message);
  console.warn(`skipping the tests that need ${program}: ${message}; .ci/run installs it`);
  return false;
}

/** The first path that exists, or the program on PATH. */
export function findProgram(name: string, paths: string[] = []): string | null {
  return Bun.which(name) ?? paths.find((p) => existsSync(p)) ?? null;
}
