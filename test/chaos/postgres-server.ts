/**
 * Controls the local PostgreSQL server for the database-restart test: restart, stop,
 * start (through pg_ctlcluster, as root), and a guard that starts it again whatever
 * happened, so a failed test never leaves the machine without its database.
 */
import { readdirSync } from "node:fs";
import { chaosDatabaseUrl } from "./sizes.ts";

/** `VERSION/NAME` of the cluster to control: $TASKFLOW_CHAOS_PG_CLUSTER, else the only one in /etc/postgresql, `main`. */
export function pgCluster(): [string, string] {
  const given = process.env.TASKFLOW_CHAOS_PG_CLUSTER;
  if (given) return given.split("/") as [string, string];
  const versions = readdirSync("/etc/postgresql");
  if (versions.length !== 1) throw new Error(`found PostgreSQL versions ${versions.join(", ")} in /etc/postgresql: set TASKFLOW_CHAOS_PG_CLUSTER=VERSION/NAME`);
  return [versions[0]!, "main"];
}

/** Throws unless the test database lives on this machine's server (the one pg_ctlcluster controls). */
export function assertLocalServer(): void {
  const host = new URL(chaosDatabaseUrl()).hostname;
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host)) {
    throw new Error(`the database-restart test restarts the local PostgreSQL server, but TASKFLOW_TEST_DATABASE_URL points at ${host}`);
  }
}

/**
 * Runs `pg_ctlcluster VERSION NAME action [-m mode]`; throws with its output on failure.
 * Asynchronous on purpose: the test's own clients must keep running (and be timed) meanwhile.
 */
export async function pgctl(action: "restart" | "stop" | "start", mode?: "fast" | "immediate"): Promise<void> {
  const [version, name] = pgCluster();
  const args = ["--skip-systemctl-redirect", version, name, action, ...(mode ? ["-m", mode] : [])];
  const p = Bun.spawn(["pg_ctlcluster", ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`pg_ctlcluster ${args.join(" ")} failed (${code}): ${err}${out}`);
}

export async function postgresReady(): Promise<boolean> {
  const url = new URL(chaosDatabaseUrl());
  return (await Bun.spawn(["pg_isready", "-q", "-h", url.hostname, "-p", url.port || "5432"]).exited) === 0;
}

/** Starts the server if it is not up, and waits until it answers. Safe to call any time. */
export async function ensurePostgresRunning(timeoutMs = 60_000): Promise<void> {
  if (!(await postgresReady())) {
    try {
      await pgctl("start");
    } catch (err) {
      // Already starting, or running without answering yet: the wait decides.
      console.warn(String(err));
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (!(await postgresReady())) {
    if (Date.now() > deadline) throw new Error("PostgreSQL did not come back");
    await Bun.sleep(100);
  }
}
