/**
 * Submit → start of two taskflow binaries, interleaved task by task:
 * `bun bench/ab-latency.ts --a=OLD_BIN --b=NEW_BIN [--mode=all|split] [--rate=N] [--seconds=S] [--rounds=R]`.
 *
 * On a shared machine the load changes from one minute to the next, so two runs a
 * minute apart compare the machine more than the code. Here both systems run at the
 * same time, each on its own fresh database, and one open-loop clock sends tick i to
 * A or B in turn (which one goes first turns each round): every moment's load lands
 * on both. Each round starts with the raw floor (bench/baselines/start-latency.ts,
 * insert + NOTIFY → claim → spawn) at the same rate, so figures also read as ratios
 * to it. Prints one JSON line per round and system, and a summary pooled over rounds.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAbArgs } from "./support/ab-args.ts";
import { rawStartLatencies } from "./baselines/start-latency.ts";
import { nowMs, submitOne } from "./support/api-client.ts";
import { progress, summary } from "./support/report.ts";
import { createScratchDatabase, vacuumAnalyze, waitFinished, type ScratchDatabase } from "./support/scratch-database.ts";
import { Cluster, type ClusterMode } from "./support/taskflow-processes.ts";

interface Sample {
  spawn: number[];
  start: number[];
  http: number[];
  /** run_at − send: the HTTP request until the insert's transaction began. */
  toInsert: number[];
  /** spawned_at − run_at: insert, commit, claim, dispatch, spawn. */
  insertToSpawn: number[];
}

const args = parseAbArgs("bun bench/ab-latency.ts --a=BIN --b=BIN [--mode=all|split] [--rate=20] [--seconds=10] [--rounds=3]", {
  mode: { type: "string", default: "all" },
  rate: { type: "string", default: "20" },
  seconds: { type: "string", default: "10" },
});
const adminUrl = args.databaseUrl;
const mode = args.mode as ClusterMode;
const rate = Number(args.rate);
const seconds = Number(args.seconds);
const logDir = mkdtempSync(join(tmpdir(), "taskflow-ab-"));
const bins = { A: args.a, B: args.b } as const;
type Side = keyof typeof bins;

async function withSystem<T>(side: Side, fn: (db: ScratchDatabase, c: Cluster) => Promise<T>): Promise<T> {
  const command = [bins[side]];
  const db = await createScratchDatabase(adminUrl, `ab_${side.toLowerCase()}`, command);
  try {
    const cluster = await Cluster.start({ command, cpuProfDir: null, logDir, logLevel: "info", databaseUrl: db.url, mode, concurrency: 16 }, db.sql);
    try {
      return await fn(db, cluster);
    } finally {
      await cluster.stop();
    }
  } finally {
    await db.drop();
  }
}

async function warmUp(db: ScratchDatabase, c: Cluster): Promise<void> {
  const since = new Date();
  for (let i = 0; i < 50; i++) {
    await submitOne(c.baseUrl, { name: `warm ${i}`, command: "true" });
    await Bun.sleep(10);
  }
  await waitFinished(db.sql, since, 50, 60_000);
  await vacuumAnalyze(db.sql);
}

/** One round: both systems up, tick i to A or B in turn; returns each side's samples. */
async function pairedRound(first: Side): Promise<Record<Side, Sample>> {
  return withSystem("A", (dbA, a) =>
    withSystem("B", async (dbB, b) => {
      const sys = { A: { db: dbA, c: a }, B: { db: dbB, c: b } };
      await warmUp(dbA, a);
      await warmUp(dbB, b);
      await Bun.sleep(1000);
      const since = new Date(Date.now() - 1);
      const sent = { A: new Map<string, number>(), B: new Map<string, number>() };
      const http = { A: [] as number[], B: [] as number[] };
      const n = Math.round(rate * 2 * seconds);
      const pending: Promise<void>[] = [];
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const side: Side = (i % 2 === 0) === (first === "A") ? "A" : "B";
        const wait = t0 + (i * 1000) / (rate * 2) - performance.now();
        if (wait > 0) await Bun.sleep(wait);
        const at = nowMs();
        pending.push(
          submitOne(sys[side].c.baseUrl, { name: `ab ${i}`, command: "true" }).then((id) => {
            sent[side].set(id, at);
            http[side].push(nowMs() - at);
          }),
        );
      }
      await Promise.all(pending);
      const out = {} as Record<Side, Sample>;
      for (const side of ["A", "B"] as Side[]) {
        const { db } = sys[side];
        await waitFinished(db.sql, since, sent[side].size, 120_000);
        const rows = await db.sql<{ id: string; started: number; run_at: number; spawned: number | null }[]>`
          select t.id, extract(epoch from t.started_at) * 1000 as started, extract(epoch from t.run_at) * 1000 as run_at,
                 extract(epoch from a.spawned_at) * 1000 as spawned
          from tasks t left join task_attempts a on a.task_id = t.id and a.attempt = 1
          where t.created_at >= ${since}`;
        const s: Sample = { spawn: [], start: [], http: http[side], toInsert: [], insertToSpawn: [] };
        for (const r of rows) {
          const at = sent[side].get(r.id);
          if (at === undefined || r.spawned === null) continue;
          s.spawn.push(Number(r.spawned) - at);
          s.start.push(Number(r.started) - at);
          s.toInsert.push(Number(r.run_at) - at);
          s.insertToSpawn.push(Number(r.spawned) - Number(r.run_at));
        }
        out[side] = s;
      }
      return out;
    }),
  );
}

async function rawRound(): Promise<number[]> {
  const db = await createScratchDatabase(adminUrl, "ab_raw", [bins.A]);
  try {
    return await rawStartLatencies(db.sql, rate, seconds);
  } finally {
    await db.drop();
  }
}

const fmt = (x: number) => x.toFixed(2);
const pooled: Record<Side | "raw", Sample> = {
  A: { spawn: [], start: [], http: [], toInsert: [], insertToSpawn: [] },
  B: { spawn: [], start: [], http: [], toInsert: [], insertToSpawn: [] },
  raw: { spawn: [], start: [], http: [], toInsert: [], insertToSpawn: [] },
};
const rounds = args.rounds;
for (let r = 0; r < rounds; r++) {
  const load = (await Bun.file("/proc/loadavg").text()).split(" ")[0];
  progress(`round ${r + 1}/${rounds} (load ${load}): raw floor at ${rate}/s for ${seconds} s`);
  const raw = await rawRound();
  pooled.raw.spawn.push(...raw);
  progress(`round ${r + 1}/${rounds}: A and B interleaved, ${rate}/s each for ${seconds} s, --role=${mode === "all" ? "all" : "scheduler|coordinator|worker"}`);
  const res = await pairedRound(r % 2 === 0 ? "A" : "B");
  const rawS = summary(raw);
  for (const side of ["A", "B"] as Side[]) {
    const s = res[side];
    for (const k of Object.keys(s) as (keyof Sample)[]) pooled[side][k].push(...s[k]);
    const sp = summary(s.spawn);
    process.stdout.write(
      `${JSON.stringify({ round: r + 1, load, side, bin: bins[side], mode, rate, n: sp.n, spawn_p50: sp.p50, spawn_p99: sp.p99, raw_p50: rawS.p50, raw_p99: rawS.p99, ratio_p50: sp.p50 / rawS.p50, ratio_p99: sp.p99 / rawS.p99, start_p50: summary(s.start).p50, http_p50: summary(s.http).p50, insert_to_spawn_p50: summary(s.insertToSpawn).p50 })}\n`,
    );
  }
}
const rawS = summary(pooled.raw.spawn);
process.stdout.write(`\npooled over ${rounds} rounds (${mode}, ${rate}/s each): raw floor p50 ${fmt(rawS.p50)} / p99 ${fmt(rawS.p99)} ms\n`);
for (const side of ["A", "B"] as Side[]) {
  const p = pooled[side];
  const [sp, st, h, ti, is] = [summary(p.spawn), summary(p.start), summary(p.http), summary(p.toInsert), summary(p.insertToSpawn)];
  process.stdout.write(
    `${side} ${bins[side]}: submit→spawn p50 ${fmt(sp.p50)} / p99 ${fmt(sp.p99)} ms (×raw ${fmt(sp.p50 / rawS.p50)} / ${fmt(sp.p99 / rawS.p99)}), ` +
      `submit→started_at p50 ${fmt(st.p50)} / p99 ${fmt(st.p99)}; HTTP answer p50 ${fmt(h.p50)}; send→insert p50 ${fmt(ti.p50)}, insert→spawn p50 ${fmt(is.p50)} / p99 ${fmt(is.p99)}; n=${sp.n}\n`,
  );
}
const a = summary(pooled.A.spawn);
const b = summary(pooled.B.spawn);
process.stdout.write(`B / A: p50 ${fmt(b.p50 / a.p50)}, p99 ${fmt(b.p99 / a.p99)}\n`);
