/**
 * The physical limit of command tasks here: how many `/bin/sh -c true` processes per
 * second Bun starts and reaps at a given concurrency, with nothing else in the way.
 */
import { inLanes } from "../support/api-client.ts";

/** Raw `Bun.spawn(["/bin/sh", "-c", "true"])` (Bun's default stdio), awaited; processes per second. */
export async function rawSpawnRate(n: number, concurrency: number): Promise<number> {
  const t0 = performance.now();
  await inLanes(n, concurrency, () => Bun.spawn(["/bin/sh", "-c", "true"]).exited);
  return n / ((performance.now() - t0) / 1000);
}

/**
 * The way a worker must spawn: its own process group (`detached`: setsid), piped
 * stdout/stderr read to the end, the environment passed. Context for the raw figure:
 * the difference is the price of group kill and output capture, not of taskflow.
 */
export async function workerStyleSpawnRate(n: number, concurrency: number): Promise<number> {
  const env = { ...process.env };
  const drain = async (s: ReadableStream<Uint8Array>) => {
    const r = s.getReader();
    while (!(await r.read()).done) {
      // discard
    }
  };
  const t0 = performance.now();
  await inLanes(n, concurrency, async () => {
    const p = Bun.spawn(["/bin/sh", "-c", "true"], { stdin: "ignore", stdout: "pipe", stderr: "pipe", detached: true, env });
    await Promise.all([p.exited, drain(p.stdout), drain(p.stderr)]);
  });
  return n / ((performance.now() - t0) / 1000);
}
