/**
 * compose.yaml's topology without Docker: a fresh database (and its own non-superuser
 * owner) on the local PostgreSQL, one scheduler, one coordinator, the workers, and
 * Debian's nginx in front, each started with the environment compose.yaml and the
 * image's ENV give its container. Only addresses change: service names and container
 * ports become 127.0.0.1 and free ports.
 *
 * Run by test/e2e/topology.test.ts, and by hand: deploy/run-topology.sh.
 */
import type { Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { freePort, taskflowCommand, waitFor } from "../support/processes.ts";
import { loadCompose, ROOT, serviceEnv, type ComposeFile } from "./compose-file.ts";
import { execForm, parseDockerfile, stageEnv } from "./dockerfile.ts";
import { startLocalNginx, type LocalNginx } from "./local-nginx.ts";

/** The local server's admin URL: where the fresh database is made. */
export const ADMIN_DATABASE_URL =
  process.env.TASKFLOW_TEST_DATABASE_URL || process.env.TASKFLOW_TOPOLOGY_ADMIN_URL || "postgres://postgres@127.0.0.1:5432/postgres";

export interface TopologyProcess {
  name: string;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  env: Record<string, string>;
  output(): string;
}

export interface Topology {
  /** nginx, the only way in (as port 80 of compose's nginx). */
  url: string;
  token: string;
  /** compose.yaml after interpolation with this run's .env values. */
  compose: ComposeFile;
  processes: TopologyProcess[];
  nginx: LocalNginx;
  databaseUrl: string;
  /** Environment a service's container would get (image ENV + compose), before address rewriting. */
  containerEnv(service: string): Record<string, string>;
  /** Every process's output, labelled: for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export interface TopologyOptions {
  /** Variables of the .env file; TASKFLOW_TOKEN and POSTGRES_PASSWORD are made up when absent. */
  env?: Record<string, string>;
  /** Log lines of the processes, as they come (the CLI prints them). */
  onOutput?: (name: string, text: string) => void;
  /** Aborting it during startup stops what has started and rejects. */
  signal?: AbortSignal;
}

const randomHex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");

export async function startTopology(opts: TopologyOptions = {}): Promise<Topology> {
  const dotEnv = { TASKFLOW_TOKEN: randomHex(24), POSTGRES_PASSWORD: randomHex(16), ...opts.env };
  const compose = loadCompose(dotEnv);
  const runtimeStage = parseDockerfile().at(-1)!;
  const image = stageEnv(runtimeStage);
  const containerEnv = (service: string) => ({ ...image, ...serviceEnv(compose.services[service]!) });
  // The arguments after ENTRYPOINT ["taskflow"]: the service's command, else the image's CMD.
  const imageCmd = runtimeStage.instructions.filter((i) => i.keyword === "CMD").map((i) => execForm(i.args)).at(-1) ?? [];
  const containerArgs = (service: string) => (compose.services[service]!.command as string[] | undefined) ?? imageCmd;

  const cleanups: (() => Promise<void> | void)[] = [];
  const processes: TopologyProcess[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        console.error(`topology cleanup: ${err}`);
      }
    }
    cleanups.length = 0;
  };
  const logs = () => processes.map((p) => `--- ${p.name}\n${p.output()}`).join("\n");

  try {
    // The database compose's postgres service would create: owned by its own login role.
    const suffix = `${Date.now().toString(36)}_${randomHex(3)}`;
    const dbName = `taskflow_topo_${suffix}`;
    const role = `taskflow_topo_${suffix}`;
    const admin = postgres(ADMIN_DATABASE_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
    try {
      // A server that is restarting (other tests may restart it) gets a few seconds.
      for (let attempt = 1; ; attempt++) {
        try {
          await admin.unsafe(`create role ${role} login password '${dotEnv.POSTGRES_PASSWORD}'`);
          break;
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          if (attempt < 20 && /shutting down|starting up|ECONNREFUSED|CONNECTION_CLOSED/.test(message)) {
            await Bun.sleep(500);
            continue;
          }
          throw new Error(`cannot create a role on PostgreSQL at ${ADMIN_DATABASE_URL} (${message}); the topology needs a local server and a user that may create roles and databases (TASKFLOW_TOPOLOGY_ADMIN_URL)`);
        }
      }
      cleanups.push(async () => {
        const a = postgres(ADMIN_DATABASE_URL, { max: 1, onnotice: () => {} });
        try {
          await a.unsafe(`drop database if exists ${dbName} with (force)`);
          await a.unsafe(`drop role if exists ${role}`);
        } finally {
          await a.end();
        }
      });
      await admin.unsafe(`create database ${dbName} owner ${role}`);
    } finally {
      await admin.end();
    }

    // Container ports and service names → local addresses.
    const adminUrl = new URL(ADMIN_DATABASE_URL);
    const httpPort = freePort();
    const grpcPort = freePort();
    const addresses: Record<string, string> = {
      "postgres:5432": `${adminUrl.hostname}:${adminUrl.port || 5432}`,
      "scheduler:8080": `127.0.0.1:${httpPort}`,
      "coordinator:50051": `127.0.0.1:${grpcPort}`,
      // Listening on every interface of a container = on loopback here.
      "0.0.0.0:8080": `127.0.0.1:${httpPort}`,
      "0.0.0.0:50051": `127.0.0.1:${grpcPort}`,
      // Metrics addresses: every replica here shares one host, so each takes a free port.
      "0.0.0.0:9101": "127.0.0.1:0",
      "0.0.0.0:9102": "127.0.0.1:0",
    };
    const localize = (env: Record<string, string>): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const [key, value] of Object.entries(env)) {
        let v = value;
        for (const [from, to] of Object.entries(addresses)) v = v.split(from).join(to);
        out[key] = v;
      }
      if (out.DATABASE_URL) {
        const url = new URL(out.DATABASE_URL);
        url.username = role;
        url.pathname = `/${dbName}`;
        out.DATABASE_URL = url.toString();
      }
      return out;
    };

    const workDir = mkdtempSync(join(tmpdir(), "taskflow-topology-"));
    cleanups.push(() => rmSync(workDir, { recursive: true, force: true }));

    // The compiled binary runs from an empty folder, like in its image; `bun src/main.ts`
    // needs the repository's tsconfig.json, found from its working directory.
    const cwd = process.env.TASKFLOW_BIN ? workDir : ROOT;
    const start = (name: string, service: string) => {
      const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: workDir, ...localize(containerEnv(service)) };
      const proc = Bun.spawn([...taskflowCommand(), ...containerArgs(service)], { cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      let out = "";
      const collect = async (stream: ReadableStream<Uint8Array>) => {
        const decoder = new TextDecoder();
        const reader = stream.getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) {
          const text = decoder.decode(r.value, { stream: true });
          out += text;
          opts.onOutput?.(name, text);
        }
      };
      void collect(proc.stdout);
      void collect(proc.stderr);
      const p: TopologyProcess = { name, proc, env, output: () => out };
      processes.push(p);
      // Stop in reverse start order, as compose does with depends_on: workers first.
      cleanups.push(async () => {
        proc.kill("SIGTERM");
        const exited = await Promise.race([proc.exited, Bun.sleep(40_000).then(() => null)]);
        if (exited === null) proc.kill("SIGKILL");
      });
      return p;
    };
    // waitFor retries on errors, so a process that died is reported here instead.
    let died: TopologyProcess | undefined;
    const anyDied = (...ps: TopologyProcess[]) => Boolean(opts.signal?.aborted) || (died = ps.find((p) => p.proc.exitCode !== null)) !== undefined;
    const checkDied = () => {
      if (died) throw new Error(`${died.name} exited ${died.proc.exitCode}`);
      if (opts.signal?.aborted) throw new Error("interrupted");
    };

    // The order compose's depends_on gives: scheduler and coordinator once postgres is healthy.
    const scheduler = start("scheduler", "scheduler");
    const coordinator = start("coordinator", "coordinator");
    await waitFor(
      "the scheduler's /readyz",
      async () => {
        if (anyDied(scheduler, coordinator)) return true;
        return (await fetch(`http://127.0.0.1:${httpPort}/readyz`, { headers: { authorization: `Bearer ${dotEnv.TASKFLOW_TOKEN}` } })).ok;
      },
      30_000,
      100,
    );
    checkDied();
    await waitFor(
      "the coordinator's gRPC port",
      async () => {
        if (anyDied(scheduler, coordinator)) return true;
        const socket = await Bun.connect({ hostname: "127.0.0.1", port: grpcPort, socket: { data() {} } });
        socket.end();
        return true;
      },
      30_000,
      100,
    );
    checkDied();
    const replicas = Number(compose.services.worker?.deploy?.replicas ?? 1);
    for (let i = 1; i <= replicas; i++) start(`worker-${i}`, "worker");

    const nginxEnv = serviceEnv(compose.services.nginx!);
    const nginx = await startLocalNginx({ upstream: localize({ u: nginxEnv.TASKFLOW_UPSTREAM! }).u!, domain: nginxEnv.TASKFLOW_DOMAIN });
    cleanups.push(() => nginx.stop());

    return {
      url: `http://127.0.0.1:${nginx.httpPort}`,
      token: dotEnv.TASKFLOW_TOKEN,
      compose,
      processes,
      nginx,
      databaseUrl: localize({ u: serviceEnv(compose.services.scheduler!).DATABASE_URL! }).u!,
      containerEnv,
      logs,
      stop,
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await stop();
    throw new Error(`${message}\n${logs()}`);
  }
}

if (import.meta.main) {
  const interrupted = new AbortController();
  const stopped = new Promise<void>((resolve) => {
    const onSignal = () => {
      interrupted.abort();
      resolve();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  const topology = await startTopology({
    signal: interrupted.signal,
    onOutput: (name, text) => process.stdout.write(text.replace(/^(?=.)/gm, `${name.padEnd(12)}| `)),
  });
  console.log(`\ntaskflow through nginx: ${topology.url}  (token ${topology.token})`);
  console.log(`processes: ${topology.processes.map((p) => `${p.name} (pid ${p.proc.pid})`).join(", ")}; Ctrl-C stops them all`);
  await stopped;
  await topology.stop();
}
