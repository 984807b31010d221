/**
 * A PostgreSQL server of the test's own (initdb in a temporary folder, a free port),
 * for the database-restart test: it restarts, stops and crashes this server as it
 * likes without touching the machine's shared one, so other tests (and other people's
 * test runs) on the shared server carry on meanwhile.
 *
 * As root it runs the server as the `postgres` user (PostgreSQL refuses to run as
 * root); otherwise as whoever runs the test.
 */
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../support/processes.ts";

/** The folder with initdb and pg_ctl: $TASKFLOW_CHAOS_PG_BIN, else the newest /usr/lib/postgresql/VERSION/bin. */
function postgresBinDir(): string {
  const given = process.env.TASKFLOW_CHAOS_PG_BIN;
  if (given) return given;
  const versions = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => existsSync(join(d, "pg_ctl")));
  if (!found) throw new Error("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: install postgresql or set TASKFLOW_CHAOS_PG_BIN");
  return found;
}

/** `runuser -u postgres --` as root (the server refuses root), nothing otherwise. */
function asServerUser(): string[] {
  return process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
}

async function run(cmd: string[]): Promise<void> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed (${code}): ${err}${out}`);
}

export class PrivatePostgres {
  readonly #bin = postgresBinDir();
  readonly #data: string;
  readonly #logPath: string;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.#data = join(dir, "data");
    this.#logPath = join(dir, "server.log");
  }

  /** Creates the cluster and starts it; resolves once it accepts connections. */
  static async start(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), "taskflow-pg-"));
    if (process.getuid?.() === 0) {
      const id = async (flag: string) => Number((await new Response(Bun.spawn(["id", flag, "postgres"]).stdout).text()).trim());
      chownSync(dir, await id("-u"), await id("-g"));
    }
    const server = new PrivatePostgres(dir, freePort());
    await run([...asServerUser(), join(server.#bin, "initdb"), "-D", server.#data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
    await server.start();
    return server;
  }

  /** The URL of its `postgres` database (an admin URL: tests create their own databases from it). */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    await this.#ctl(["start", "-w", "-t", "120", "-l", this.#logPath, "-o", `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`]);
  }

  /** Stops the server (`fast`: clients are disconnected and it checkpoints; `immediate`: a crash, for clients). */
  async stop(mode: "fast" | "immediate"): Promise<void> {
    await this.#ctl(["stop", "-w", "-t", "120", "-m", mode]);
  }

  /** `pg_ctl restart -m fast`: a stop with a checkpoint, then a start. */
  async restart(): Promise<void> {
    await this.#ctl(["restart", "-w", "-t", "120", "-m", "fast", "-l", this.#logPath, "-o", `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`]);
  }

  async ready(): Promise<boolean> {
    return (await Bun.spawn([join(this.#bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", String(this.port)]).exited) === 0;
  }

  /** Starts it if it is not up (safe any time): a failed test never leaves it down while the cluster is checked. */
  async ensureRunning(): Promise<void> {
    if (!(await this.ready())) await this.start().catch((err) => console.warn(String(err)));
  }

  /** The server's own log (what it said about shutdowns and recoveries). */
  log(): string {
    return existsSync(this.#logPath) ? readFileSync(this.#logPath, "utf8") : "";
  }

  /** Stops the server at once and removes its folder. */
  async destroy(): Promise<void> {
    await this.stop("immediate").catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #ctl(args: string[]): Promise<void> {
    await run([...asServerUser(), join(this.#bin, "pg_ctl"), "-D", this.#data, ...args]);
  }
}
