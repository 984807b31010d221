/**
 * Turns argv + environment into a validated Config (flags > env > defaults).
 * Every problem becomes a ConfigError with one line a user can act on; main.ts
 * prints it and exits 2.
 */
import { coerceError } from "../core/errors.ts";
import { parseArgs } from "node:util";
import { cpus, hostname } from "node:os";
import {
  DATA_DIR_DEFAULT,
  FLAGS,
  GRPC_DEFAULT,
  HEARTBEAT_MS_DEFAULT,
  HTTP_DEFAULT,
  SHUTDOWN_GRACE_MS_DEFAULT,
  WORKER_TIMEOUT_MS_DEFAULT,
  MAX_LOG_BYTES_DEFAULT,
  MAX_LOG_BYTES_MIN,
} from "./flags.ts";
import { isQueueName } from "../core/queue-name.ts";

export type Role = "scheduler" | "coordinator" | "worker";
export const ROLES: Role[] = ["scheduler", "coordinator", "worker"];
export type LogFormat = "pretty" | "json";
export type LogLevel = "debug" | "info" | "warn" | "error";
export type Command = "run" | "migrate" | "version" | "help";

export interface HostPort {
  host: string;
  port: number;
}

export interface Config {
  roles: Role[];
  databaseUrl: string | null;
  dataDir: string;
  http: HostPort;
  grpc: HostPort;
  coordinators: string[];
  concurrency: number;
  queues: string[];
  name: string;
  token: string | null;
  insecure: boolean;
  grpcTls: { cert: string | null; key: string | null; ca: string | null };
  heartbeatMs: number;
  workerTimeoutMs: number;
  shutdownGraceMs: number;
  /** Output bytes stored per attempt (coordinator). */
  maxLogBytes: number;
  logFormat: LogFormat;
  logLevel: LogLevel;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses argv (without the executable and script) and env into a command and a Config. */
export function parseConfig(argv: string[], env: Record<string, string | undefined>, isTty = false): { command: Command; config: Config } {
  const options = Object.fromEntries(
    FLAGS.map((f) => [f.name, { type: f.boolean ? ("boolean" as const) : ("string" as const) }]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError(describeParseError(err));
  }
  const positionals = parsed.positionals;
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { command: "help", config: undefined as never };

  const command = parseCommand(positionals);
  const raw = (name: string): string | undefined => {
    const flag = FLAGS.find((f) => f.name === name)!;
    const v = values[name];
    if (typeof v === "string") return v;
    if (typeof v === "boolean") return v ? "true" : "false";
    return env[flag.env];
  };
  const flagLabel = (name: string) => {
    const flag = FLAGS.find((f) => f.name === name)!;
    return typeof values[name] !== "undefined" ? `--${name}` : env[flag.env] !== undefined ? `${flag.env}` : `--${name}`;
  };

  const config: Config = {
    roles: parseRoles(raw("role") ?? "all", flagLabel("role")),
    databaseUrl: parseDatabaseUrl(raw("database-url"), flagLabel("database-url")),
    dataDir: nonEmpty(raw("data-dir")) ?? DATA_DIR_DEFAULT,
    http: parseHostPort(raw("http") ?? HTTP_DEFAULT, flagLabel("http")),
    grpc: parseHostPort(raw("grpc") ?? GRPC_DEFAULT, flagLabel("grpc")),
    coordinators: parseCoordinators(raw("coordinator") ?? GRPC_DEFAULT, flagLabel("coordinator")),
    concurrency: parseInt(raw("concurrency"), flagLabel("concurrency"), cpus().length, 1, 10000),
    queues: parseQueues(raw("queues") ?? "default", flagLabel("queues")),
    name: nonEmpty(raw("name")) ?? `${hostname()}-${process.pid}`,
    token: nonEmpty(raw("token")),
    insecure: parseBool(raw("insecure"), flagLabel("insecure")),
    grpcTls: { cert: nonEmpty(raw("grpc-tls-cert")), key: nonEmpty(raw("grpc-tls-key")), ca: nonEmpty(raw("grpc-tls-ca")) },
    heartbeatMs: parseInt(raw("heartbeat"), flagLabel("heartbeat"), HEARTBEAT_MS_DEFAULT, 10, 3_600_000),
    workerTimeoutMs: parseInt(raw("worker-timeout"), flagLabel("worker-timeout"), WORKER_TIMEOUT_MS_DEFAULT, 100, 86_400_000),
    shutdownGraceMs: parseInt(raw("shutdown-grace"), flagLabel("shutdown-grace"), SHUTDOWN_GRACE_MS_DEFAULT, 0, 86_400_000),
    maxLogBytes: parseInt(raw("max-log-bytes"), flagLabel("max-log-bytes"), MAX_LOG_BYTES_DEFAULT, MAX_LOG_BYTES_MIN, 2 ** 40),
    logFormat: parseChoice(raw("log-format"), flagLabel("log-format"), ["pretty", "json"], isTty ? "pretty" : "json"),
    logLevel: parseChoice(raw("log-level"), flagLabel("log-level"), ["debug", "info", "warn", "error"], "info"),
  };
  // A worker in the same process as a coordinator dials that coordinator unless told otherwise.
  if (raw("coordinator") === undefined && config.roles.includes("coordinator")) {
    config.coordinators = [localCoordinatorAddress(config.grpc, config.grpcTls.cert !== null)];
  }
  // `version` and `migrate` bind nothing and run no role: the role rules do not apply.
  if (command === "run") checkRules(config, flagLabel);
  return { command, config };
}

/** Cross-flag rules from SPEC §1: fail closed on open binds, one process per embedded database. */
function checkRules(c: Config, label: (name: string) => string): void {
  if (c.heartbeatMs >= c.workerTimeoutMs) {
    throw new ConfigError(`${label("heartbeat")} (${c.heartbeatMs} ms) must be shorter than ${label("worker-timeout")} (${c.workerTimeoutMs} ms)`);
  }
  if ((c.grpcTls.cert === null) !== (c.grpcTls.key === null)) {
    throw new ConfigError("--grpc-tls-cert and --grpc-tls-key must be given together");
  }
  const serves = (r: Role) => c.roles.includes(r);
  if (!c.databaseUrl && serves("scheduler") !== serves("coordinator")) {
    const alone = serves("scheduler") ? "scheduler" : "coordinator";
    throw new ConfigError(
      `the embedded database serves one process: run --role=${alone} with the other role in the same process, or set DATABASE_URL (--database-url) to share PostgreSQL`,
    );
  }
  if (c.token || c.insecure) return;
  if (serves("scheduler") && !isLoopback(c.http.host)) {
    throw new ConfigError(`${label("http")}=${c.http.host}:${c.http.port} is not a loopback address: set --token (TASKFLOW_TOKEN) so the API is not open to anyone, or pass --insecure`);
  }
  if (serves("coordinator") && !isLoopback(c.grpc.host)) {
    throw new ConfigError(`${label("grpc")}=${c.grpc.host}:${c.grpc.port} is not a loopback address: set --token (TASKFLOW_TOKEN) so workers must authenticate, or pass --insecure`);
  }
}

/**
 * The address a worker dials to reach a coordinator in its own process: the --grpc
 * address, with a wildcard bind dialed on loopback (by name under TLS, which needs one).
 * @example localCoordinatorAddress({ host: "0.0.0.0", port: 6000 }, false) // "127.0.0.1:6000"
 */
export function localCoordinatorAddress(grpc: HostPort, tls: boolean): string {
  const { host, port } = grpc;
  const wildcard = host === "0.0.0.0" || host === "::";
  const dialHost = wildcard ? (tls ? "localhost" : host === "::" ? "[::1]" : "127.0.0.1") : host.includes(":") ? `[${host}]` : host;
  return `${dialHost}:${port}`;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\./.test(host);
}

function parseCommand(positionals: string[]): Command {
  if (positionals.length === 0) return "run";
  if (positionals.length === 1 && (positionals[0] === "migrate" || positionals[0] === "version")) return positionals[0];
  throw new ConfigError(`unknown command "${positionals.join(" ")}": expected migrate, version, or flags only (see --help)`);
}

function describeParseError(err: unknown): string {
  const msg = coerceError(err).message;
  const unknown = msg.match(/Unknown option '([^']+)'/);
  if (unknown) return `unknown flag ${unknown[1]} (see taskflow --help)`;
  const needsValue = msg.match(/Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/);
  if (needsValue) return `${needsValue[1]} needs a value, e.g. ${needsValue[1]}=VALUE (see taskflow --help)`;
  const noValue = msg.match(/Option '(--[\w-]+)' does not take an argument/);
  if (noValue) return `${noValue[1]} takes no value (see taskflow --help)`;
  return `${msg.split("\n")[0]} (see taskflow --help)`;
}

function nonEmpty(v: string | undefined): string | null {
  return v === undefined || v.trim() === "" ? null : v.trim();
}

function parseRoles(v: string, label: string): Role[] {
  const parts = v.split(",").map((s) => s.trim()).filter(Boolean);
  const roles = new Set<Role>();
  for (const p of parts) {
    if (p === "all") ROLES.forEach((r) => roles.add(r));
    else if ((ROLES as string[]).includes(p)) roles.add(p as Role);
    else throw new ConfigError(`${label}: unknown role "${p}"; accepts all, scheduler, coordinator, worker or a comma list of them`);
  }
  if (roles.size === 0) throw new ConfigError(`${label} is empty; accepts all, scheduler, coordinator, worker or a comma list of them`);
  return ROLES.filter((r) => roles.has(r));
}

function parseDatabaseUrl(v: string | undefined, label: string): string | null {
  const url = nonEmpty(v);
  if (url === null) return null;
  if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError(`${label} must be a postgres:// or postgresql:// URL`);
  return url;
}

function parseHostPort(v: string, label: string): HostPort {
  const m = v.trim().match(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`${label}="${v}" must be HOST:PORT, e.g. 127.0.0.1:8080 (port 0–65535)`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

function parseCoordinators(v: string, label: string): string[] {
  const list = v.split(",").map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new ConfigError(`${label} is empty; accepts HOST:PORT[,HOST:PORT...]`);
  for (const a of list) parseHostPort(a, label);
  return list;
}

function parseQueues(v: string, label: string): string[] {
  const list = [...new Set(v.split(",").map((s) => s.trim()).filter(Boolean))];
  const bad = list.find((q) => !isQueueName(q));
  if (list.length === 0 || bad !== undefined) {
    throw new ConfigError(`${label}: ${bad === undefined ? "empty" : `bad queue "${bad}"`}; accepts a comma list of names of 1–64 characters [a-z0-9_-]`);
  }
  return list;
}

function parseInt(v: string | undefined, label: string, dflt: number, min: number, max: number): number {
  if (v === undefined || v.trim() === "") return dflt;
  const n = Number(v.trim());
  if (!/^\d+$/.test(v.trim()) || n < min || n > max) throw new ConfigError(`${label}="${v}" must be a whole number from ${min} to ${max}`);
  return n;
}

function parseBool(v: string | undefined, label: string): boolean {
  if (v === undefined || v === "") return false;
  const s = v.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(s)) return true;
  if (["0", "false", "no", "off"].includes(s)) return false;
  throw new ConfigError(`${label}="${v}" must be true or false`);
}

function parseChoice<T extends string>(v: string | undefined, label: string, choices: T[], dflt: T): T {
  if (v === undefined || v.trim() === "") return dflt;
  const s = v.trim().toLowerCase();
  if ((choices as string[]).includes(s)) return s as T;
  throw new ConfigError(`${label}="${v}" must be one of ${choices.join(", ")}`);
}
