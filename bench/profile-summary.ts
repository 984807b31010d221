/**
 * Summarises Bun CPU profiles (`--cpu-prof`, or `npm run bench -- --cpu-prof=DIR`):
 * for each profile, the functions with the most samples of their own (self time)
 * and the source files they are in.
 *
 *   bun bench/profile-summary.ts DIR_OR_FILE... [--top=N]
 *
 * Counts samples rather than summing time deltas: Bun's sampler takes samples only
 * while the thread runs JavaScript or native code, and a sample's delta also covers
 * the idle time before it, which would charge waiting to whatever ran next.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

const args = process.argv.slice(2);
const top = Number(args.find((a) => a.startsWith("--top="))?.slice(6) ?? 25);
const files = args.filter((a) => !a.startsWith("--")).flatMap(profilesIn);
if (files.length === 0) {
  process.stderr.write("usage: bun bench/profile-summary.ts DIR_OR_FILE... [--top=N]\n");
  process.exit(2);
}
for (const file of files) summarise(file, JSON.parse(await Bun.file(file).text()) as Profile);

function profilesIn(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => join(path, f));
}

function summarise(file: string, p: Profile): void {
  const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const id of p.samples) {
    const f = frames.get(id)!;
    const where = shortUrl(f.url);
    const fn = `${f.functionName || "(anonymous)"}  ${where}${f.lineNumber >= 0 ? `:${f.lineNumber + 1}` : ""}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + 1);
    byFile.set(where || "(native)", (byFile.get(where || "(native)") ?? 0) + 1);
  }
  const n = p.samples.length;
  const wallS = (p.endTime - p.startTime) / 1e6;
  process.stdout.write(`\n== ${file}\n${n} samples over ${wallS.toFixed(1)} s of wall time\n-- self samples by function\n`);
  for (const [k, c] of sorted(byFunction).slice(0, top)) process.stdout.write(`${pct(c, n)}  ${k}\n`);
  process.stdout.write("-- self samples by file\n");
  for (const [k, c] of sorted(byFile).slice(0, Math.ceil(top / 2))) process.stdout.write(`${pct(c, n)}  ${k}\n`);
}

function shortUrl(url: string): string {
  const i = url.indexOf("node_modules/");
  if (i >= 0) return url.slice(i + "node_modules/".length);
  const s = url.indexOf("/src/");
  return s >= 0 ? url.slice(s + 1) : url.split("/").slice(-2).join("/");
}

function sorted(m: Map<string, number>): [string, number][] {
  return [...m].sort((a, b) => b[1] - a[1]);
}

function pct(c: number, n: number): string {
  return `${((100 * c) / n).toFixed(1).padStart(5)}% ${String(c).padStart(6)}`;
}
