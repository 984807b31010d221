/**
 * fleet: a simulated fleet of `--fleet-workers` workers (issue 22) on two real
 * coordinator processes, one scheduler process and one PostgreSQL. The workers are
 * lightweight gRPC clients in two simulator processes (bench/support/fleet-sim.ts,
 * one per coordinator), speaking the real protocol with concurrency 4 each and
 * answering every dispatch at once with a successful result.
 *
 * 1. Heartbeat cost: the coordinators' statements/s, counted exactly by a proxy in
 *    front of PostgreSQL (bench/support/statement-counter.ts), with all committed
 *    transactions/s of the database (pg_stat_database), `workers` rows updated/s and
 *    the coordinators' CPU as context, idle with the fleet connected, against the same
 *    processes idle with no worker (same run). Target: ≤ 1 statement/s per 100
 *    workers above that baseline.
 * 2. Coordinator RSS per session: growth of both coordinators' RSS from no worker to
 *    the fleet connected, over the sessions. Target ≤ 100 KB.
 * 3. No-op tasks/s: `--fleet-tasks` tasks due at once, first picked_at to last
 *    finished_at. Target ≥ 5,000/s.
 * 4. Fairness at saturation: tasks finished per worker in (3), max/min. Target ≤ 1.5.
 * 5. Mass death: `--fleet-victims` workers (half on each coordinator) keep their
 *    slots full of running attempts, then vanish at once (streams cancelled,
 *    heartbeats stop): time until every one of them is dead and none of their
 *    attempts is live. Target ≤ worker timeout + 2 s.
 */
import type { Subprocess } from "bun";
import { submitBatch, type TaskBody } from "../support/api-client.ts";
import { backendPids, cpuMeter } from "../support/cpu-time.ts";
import { type BenchContext, taskflowCommand, withDatabase } from "../support/context.ts";
import { atMost, progress } from "../support/report.ts";
import type { ScratchDatabase } from "../support/scratch-database.ts";
import { StatementCounter } from "../support/statement-counter.ts";
import { freePort, logTail, rssMb, startTaskflow, stopProcess, type TaskflowProcess } from "../support/taskflow-processes.ts";

const SIM = new URL("../support/fleet-sim.ts", import.meta.url).pathname;

interface SimStats {
  welcomed: number;
  counts: number[];
  held: number;
  holdingFull: number;
  holdingIds: string[];
}

/** One simulator process and its line protocol. */
class Simulator {
  private buffer = "";
  private waiters: Array<(line: string) => void> = [];
  private constructor(readonly proc: Subprocess<"pipe", "pipe", "inherit">) {}

  static start(coordinator: string, workers: number, prefix: string): Simulator {
    const proc = Bun.spawn([process.execPath, SIM, `--coordinator=${coordinator}`, `--workers=${workers}`, `--prefix=${prefix}`], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
    });
    const sim = new Simulator(proc);
    void sim.read();
    return sim;
  }

  private async read(): Promise<void> {
    const decoder = new TextDecoder();
    const reader = this.proc.stdout.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      this.buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = this.buffer.indexOf("\n")) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.waiters.shift()?.(line);
      }
    }
  }

  async ask<T>(cmd: object): Promise<T> {
    const line = new Promise<string>((resolve) => this.waiters.push(resolve));
    this.proc.stdin.write(`${JSON.stringify(cmd)}\n`);
    this.proc.stdin.flush();
    return (JSON.parse(await line) as { ok: T }).ok;
  }

  stats(): Promise<SimStats> {
    return this.ask<SimStats>({ cmd: "stats" });
  }

  async stop(): Promise<void> {
    this.proc.stdin.end();
    await stopProcess(this.proc, 2000);
  }
}

export async function fleetScenario(ctx: BenchContext): Promise<void> {
  const o = ctx.opts.fleet;
  await withDatabase(ctx, "fleet", async (db) => {
    const how = taskflowCommand(ctx);
    const url = `--database-url=${db.url}`;
    const timing = [`--heartbeat=${o.heartbeatMs}ms`, `--worker-timeout=${o.workerTimeoutMs}ms`];
    const api = `127.0.0.1:${freePort()}`;
    const grpc = [`127.0.0.1:${freePort()}`, `127.0.0.1:${freePort()}`];
    const pg = new URL(db.url);
    // BENCH_STATEMENT_TEXTS=1: also say which statements the fleet's idle heartbeats cost (progress lines).
    const counter = new StatementCounter(pg.hostname, Number(pg.port || 5432), process.env.BENCH_STATEMENT_TEXTS === "1");
    await counter.start();
    const counted = `--database-url=${counter.urlThrough(db.url)}`;
    const procs: TaskflowProcess[] = [
      startTaskflow(how, "scheduler", ["--role=scheduler", url, `--http=${api}`]),
      ...grpc.map((g, i) => startTaskflow(how, `coordinator-${i + 1}`, ["--role=coordinator", counted, `--grpc=${g}`, ...timing])),
    ];
    const sims: Simulator[] = [];
    try {
      await waitFor(`the scheduler and 2 coordinators`, 30_000, async () => {
        for (const p of procs) if (p.proc.exitCode !== null) throw new Error(`taskflow ${p.name} exited:\n${logTail(p)}`);
        const ready = await fetch(`http://${api}/readyz`).then((r) => r.ok, () => false);
        const [r] = await db.sql<{ n: string }[]>`select count(*) as n from coordinators where stopped_at is null`;
        return ready && Number(r!.n) >= 2;
      });
      const coordinators = procs.slice(1);
      const coordinatorPids = coordinators.map((p) => p.proc.pid);
      await Bun.sleep(1000);
      progress(`fleet: idle, no worker (${o.idleSeconds} s)`);
      const idle = await measureIdle(db, counter, coordinatorPids, o.idleSeconds);
      const rssBefore = coordinatorPids.map((pid) => rssMb(pid));

      progress(`fleet: ${o.workers} simulated workers joining`);
      const half = Math.ceil(o.workers / 2);
      sims.push(Simulator.start(grpc[0]!, half, "sim-a"), Simulator.start(grpc[1]!, o.workers - half, "sim-b"));
      // Welcomed, not only registered: a worker's row is written before its Hello is answered.
      await waitFor(`${o.workers} workers welcomed`, 120_000, async () => {
        const welcomed = (await Promise.all(sims.map((s) => s.stats()))).reduce((n, s) => n + s.welcomed, 0);
        return welcomed >= o.workers;
      }, 200);
      // Every worker has sent a few heartbeats before the count starts.
      await Bun.sleep(2 * o.heartbeatMs + 1000);
      progress(`fleet: idle, ${o.workers} workers heartbeating (${o.idleSeconds} s)`);
      const texts = new Map(counter.byText);
      const busy = await measureIdle(db, counter, coordinatorPids, o.idleSeconds);
      for (const [text, n] of counter.topSince(texts, 14)) progress(`fleet:   ${(n / o.idleSeconds).toFixed(2)}/s ${text}`);
      const rssAfter = coordinatorPids.map((pid) => rssMb(pid));
      reportIdle(ctx, o.workers, idle, busy, rssBefore, rssAfter);

      await throughput(ctx, db, api, sims, coordinatorPids, counter);
      await massDeath(ctx, db, api, sims);
    } finally {
      await Promise.allSettled(sims.map((s) => s.stop()));
      for (const p of procs) await stopProcess(p.proc);
      await counter.stop();
    }
  });
}

interface IdleFigures {
  /** The coordinators' statements/s, counted by the proxy. */
  statementsPerSecond: number;
  xactPerSecond: number;
  workerUpdatesPerSecond: number;
  /** Coordinators' CPU, ms per second of wall time (both together). */
  coordinatorCpu: number;
  pgCpu: number;
}

async function measureIdle(db: ScratchDatabase, counter: StatementCounter, coordinatorPids: number[], seconds: number): Promise<IdleFigures> {
  const read = async () => {
    const [r] = await db.sql<{ xacts: string; upd: string }[]>`
      select (select xact_commit + xact_rollback from pg_stat_database where datname = current_database()) as xacts,
             (select n_tup_upd from pg_stat_user_tables where relname = 'workers') as upd`;
    return { xacts: Number(r!.xacts), upd: Number(r!.upd) };
  };
  const pg = await backendPids(db.sql, db.name);
  const meter = cpuMeter({ coordinators: coordinatorPids, pg });
  const before = await read();
  const statements = counter.statements;
  const t0 = performance.now();
  await Bun.sleep(seconds * 1000);
  const after = await read();
  const s = (performance.now() - t0) / 1000;
  const cpu = meter.stop();
  return {
    statementsPerSecond: (counter.statements - statements) / s,
    // The two reads are the bench's own transactions.
    xactPerSecond: (after.xacts - before.xacts - 2) / s,
    workerUpdatesPerSecond: (after.upd - before.upd) / s,
    coordinatorCpu: cpu.coordinators! / s,
    pgCpu: cpu.pg! / s,
  };
}

function reportIdle(ctx: BenchContext, workers: number, idle: IdleFigures, busy: IdleFigures, rssBefore: number[], rssAfter: number[]): void {
  const per100 = ((busy.statementsPerSecond - idle.statementsPerSecond) / workers) * 100;
  ctx.report.add("fleet", `coordinators' statements/s, ${workers} workers idle`, busy.statementsPerSecond, "/s", {
    baseline: { name: "same processes, no worker", value: idle.statementsPerSecond, unit: "/s" },
    note: `all transactions in the database ${busy.xactPerSecond.toFixed(1)}/s (no worker ${idle.xactPerSecond.toFixed(1)}/s); workers rows updated ${busy.workerUpdatesPerSecond.toFixed(0)}/s`,
  });
  ctx.report.add("fleet", "heartbeat statements/s per 100 workers", per100, "/s", { target: atMost(1, "/s") });
  ctx.report.add("fleet", `coordinator CPU, ${workers} workers idle (both)`, busy.coordinatorCpu / 10, "%", {
    baseline: { name: "no worker", value: idle.coordinatorCpu / 10, unit: "%" },
    note: `PostgreSQL ${(busy.pgCpu / 10).toFixed(1)} % (no worker ${(idle.pgCpu / 10).toFixed(1)} %)`,
  });
  const growthKb = rssAfter.reduce((a, b) => a + b, 0) * 1024 - rssBefore.reduce((a, b) => a + b, 0) * 1024;
  ctx.report.add("fleet", "coordinator RSS per worker session", growthKb / workers, "KB", {
    target: atMost(100, "KB"),
    note: `${rssBefore.map((m) => m.toFixed(0)).join(" + ")} → ${rssAfter.map((m) => m.toFixed(0)).join(" + ")} MB`,
  });
}

async function throughput(ctx: BenchContext, db: ScratchDatabase, api: string, sims: Simulator[], coordinatorPids: number[], counter: StatementCounter): Promise<void> {
  const { tasks } = ctx.opts.fleet;
  await Promise.all(sims.map((s) => s.ask({ cmd: "reset" })));
  // Submitted ahead and due at once: the fleet is saturated from the first claim on.
  const leadMs = 3000 + tasks / 4;
  const runAt = new Date(Date.now() + leadMs);
  progress(`fleet: ${tasks} no-op tasks due at ${runAt.toISOString().slice(11, 23)}`);
  const bodies: TaskBody[] = Array.from({ length: tasks }, (_, i) => ({ name: `noop ${i}`, command: "true", run_at: runAt.toISOString() }));
  await submitPatiently(`http://${api}`, bodies);
  if (Date.now() > runAt.getTime()) progress("fleet: warning: submitting took longer than the lead; the first tasks ran meanwhile");
  const pg = await backendPids(db.sql, db.name);
  await Bun.sleep(Math.max(0, runAt.getTime() - Date.now()));
  const meter = cpuMeter({ coordinators: coordinatorPids, pg });
  const statements = counter.statements;
  // Live tasks first (cheap as completed ones pile up, unlike counting those at every poll, whose CPU was charged to pg).
  await waitFor(`${tasks} tasks finished`, 60_000 + tasks * 5, async () => {
    const [live] = await db.sql<{ n: string }[]>`select count(*) as n from tasks where status in ('created', 'scheduled', 'picked', 'running')`;
    if (Number(live!.n) > 0) return false;
    const [r] = await db.sql<{ n: string }[]>`select count(*) as n from tasks where status = 'completed'`;
    return Number(r!.n) >= tasks;
  }, 100);
  const cpu = meter.stop();
  const [span] = await db.sql<{ ms: number }[]>`
    select extract(epoch from max(finished_at) - min(picked_at)) * 1000 as ms from tasks where status = 'completed'`;
  const rate = tasks / (Number(span!.ms) / 1000);
  ctx.report.add("fleet", `no-op tasks/s across the fleet (${tasks} due at once)`, rate, "/s", {
    target: (f) => ({ text: "≥ 5,000 /s", met: f.value >= 5000 }),
    note: `CPU ms/task: coordinators ${(cpu.coordinators! / tasks).toFixed(2)}, pg ${(cpu.pg! / tasks).toFixed(2)}; coordinator statements/task ${((counter.statements - statements) / tasks).toFixed(2)}`,
  });
  const counts = (await Promise.all(sims.map((s) => s.stats()))).flatMap((s) => s.counts);
  const max = Math.max(...counts);
  const min = Math.min(...counts);
  ctx.report.add("fleet", "fairness at saturation: tasks per worker, max/min", min > 0 ? max / min : Number.POSITIVE_INFINITY, "×", {
    target: atMost(1.5, "×"),
    note: `min ${min}, max ${max}, mean ${(counts.reduce((a, b) => a + b, 0) / counts.length).toFixed(1)} over ${counts.length} workers`,
  });
}

async function massDeath(ctx: BenchContext, db: ScratchDatabase, api: string, sims: Simulator[]): Promise<void> {
  const { victims, workerTimeoutMs } = ctx.opts.fleet;
  const backlog = async () => Number((await db.sql<{ n: string }[]>`select count(*) as n from tasks where status = 'scheduled'`)[0]!.n);
  const each = Math.ceil(victims / sims.length);
  await Promise.all(sims.map((s) => s.ask({ cmd: "hold", n: each })));
  progress(`fleet: filling ${each * sims.length} workers' slots with attempts they keep running`);
  // The rest of the fleet finishes its share at once; the victims keep theirs until all their slots are full.
  await waitFor(`${each * sims.length} workers full of running attempts`, 60_000, async () => {
    const full = (await Promise.all(sims.map((s) => s.stats()))).reduce((n, s) => n + s.holdingFull, 0);
    if (full >= each * sims.length) return true;
    // More only once the last batch is taken: the victims get a share of each, the rest finish theirs at once.
    if ((await backlog()) === 0) await submitPatiently(`http://${api}`, Array.from({ length: 1000 }, (_, i) => ({ name: `fill ${i}`, command: "true" })));
    return false;
  }, 200);
  // The rest of the fleet works off what the filling left over: the deaths are judged on a fleet at rest.
  await waitFor("the backlog to drain", 120_000, async () => (await backlog()) === 0, 200);
  const ids = (await Promise.all(sims.map((s) => s.stats()))).flatMap((s) => s.holdingIds);
  const [held] = await db.sql<{ n: string }[]>`select count(*) as n from tasks where worker_id = any(${ids}::uuid[]) and status in ('picked', 'running')`;
  progress(`fleet: ${ids.length} workers holding ${held!.n} live attempts vanish at once`);
  const t0 = performance.now();
  await Promise.all(sims.map((s) => s.ask({ cmd: "kill" })));
  let deadAt = Number.NaN;
  await waitFor(`${ids.length} workers declared dead and their attempts requeued`, workerTimeoutMs + 60_000, async () => {
    const [r] = await db.sql<{ dead: string; live: string }[]>`
      select (select count(*) from workers where id = any(${ids}::uuid[]) and status = 'dead') as dead,
             (select count(*) from tasks where worker_id = any(${ids}::uuid[]) and status in ('picked', 'running')) as live`;
    if (Number(r!.dead) >= ids.length && Number.isNaN(deadAt)) deadAt = performance.now() - t0;
    return Number(r!.dead) >= ids.length && Number(r!.live) === 0;
  }, 20);
  const requeued = performance.now() - t0;
  ctx.report.add("fleet", `${ids.length} workers vanish at once: all dead, their attempts requeued`, requeued, "ms", {
    baseline: { name: "worker timeout", value: workerTimeoutMs, unit: "ms" },
    target: atMost(workerTimeoutMs + 2000, "ms"),
    note: `${held!.n} live attempts; all declared dead after ${Math.round(deadAt)} ms`,
  });
}

/**
 * Submits through the batch route, 1,000 per request, two at a time; a 503 (the
 * scheduler's database gate, when a loaded machine makes a probe slow) is tried again.
 */
async function submitPatiently(baseUrl: string, bodies: TaskBody[]): Promise<void> {
  const chunks: TaskBody[][] = [];
  for (let i = 0; i < bodies.length; i += 1000) chunks.push(bodies.slice(i, i + 1000));
  let next = 0;
  const lane = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++]!;
      for (let attempt = 1; ; attempt++) {
        try {
          await submitBatch(baseUrl, chunk);
          break;
        } catch (err) {
          if (attempt >= 20 || !String(err).includes("answered 503")) throw err;
          await Bun.sleep(500);
        }
      }
    }
  };
  await Promise.all([lane(), lane()]);
}

/** Polls `check` until true; throws past the deadline. */
async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
