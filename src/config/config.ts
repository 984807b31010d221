/**
 * Turns argv + environment into a validated Config (flags > env > defaults).
 * Every problem becomes a ConfigError with one line a user can act on; main.ts
 * prints it and exits 2.
 */
import { parseLabelList } from "../core/labels.ts";
import { coerceError } from "../core/errors.ts";
import { parseArgs } from "node:util";
import { cpus, hostname } from "node:os";
import { DurationError, formatDuration, parseDuration } from "../core/duration.ts";
import type { RetentionPolicy } from "../core/retention.ts";
import {
  DATA_DIR_DEFAULT,
  FLAGS,
  GRPC_DEFAULT,
  HEARTBEAT_MS_DEFAULT,
  HTTP_DEFAULT,
  PRUNE_FLAGS,
  SHUTDOWN_GRACE_MS_DEFAULT,
  SSE_MAX_CONNECTIONS_DEFAULT,
  HTTP_IDLE_TIMEOUT_S_DEFAULT,
  WORKER_TIMEOUT_MS_DEFAULT,
  MAX_LOG_BYTES_DEFAULT,
  MAX_LOG_BYTES_MIN,
} from "./flags.ts";
import { parsePruneRequest, parseRetentionPolicy, type PruneRequest } from "./retention-options.ts";
import { isIpLiteral, isLoopbackAddress } from "./loopback.ts";
import { readSecret } from "./token-config.ts";
import { isQueueName } from "../core/queue-name.ts";

export type Role = "scheduler" | "coordinator" | "worker";
export const ROLES: Role[] = ["scheduler", "coordinator", "worker"];
export type LogFormat = "pretty" | "json";
export type LogLevel = "debug" | "info" | "warn" | "error";
export type Command = "run" | "migrate" | "version" | "prune" | "help";

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
  /** The worker dials this process's own coordinator (no --coordinator with both roles): in memory, not over gRPC. */
  dialsOwnCoordinator: boolean;
  concurrency: number;
  queues: string[];
  /** Worker labels from --labels (docs/placement.md); the worker adds hostname, os and arch. */
  labels: Record<string, string>;
  name: string;
  token: string | null;
  /** --worker-token: the only secret gRPC accepts when set (workers send it instead of --token); null: --token serves both. */
  workerToken: string | null;
  /** Worker variables that tasks inherit although they look like secrets (TASKFLOW_*, DATABASE_URL, PG*). */
  taskEnvPassthrough: string[];
  insecure: boolean;
  /** Server-Sent Events streams the scheduler keeps open at once; more get 503. */
  sseMaxConnections: number;
  /** Seconds an HTTP connection may stall before the scheduler closes it (SSE streams exempt). */
  httpIdleTimeoutSeconds: number;
  grpcTls: { cert: string | null; key: string | null; ca: string | null };
  heartbeatMs: number;
  workerTimeoutMs: number;
  shutdownGraceMs: number;
  /** Webhooks may target loopback, link-local and private addresses (off: refused, against SSRF). */
  webhookAllowPrivate: boolean;
  /** Where coordinators and workers serve /metrics; null = not served (the scheduler serves its own on --http). */
  metrics: HostPort | null;
  /** Output bytes stored per attempt (coordinator). */
  maxLogBytes: number;
  logFormat: LogFormat;
  logLevel: LogLevel;
  /** How long finished tasks and dead worker sessions are kept (coordinators prune). */
  retention: RetentionPolicy;
  /** What `taskflow prune` removes; null for other commands. */
  prune: PruneRequest | null;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** `--help`/`-h` and `--version`/`-v`: the usual spellings of the `help` and `version` commands. */
const COMMAND_FLAGS = { help: { type: "boolean", short: "h" }, version: { type: "boolean", short: "v" } } as const;

/** Parses argv (without the executable and script) and env into a command and a Config. */
export function parseConfig(argv: string[], env: Record<string, string | undefined>, isTty = false): { command: Command; config: Config } {
  const options = Object.fromEntries(
    [...FLAGS, ...PRUNE_FLAGS].map((f) => [f.name, { type: f.boolean ? ("boolean" as const) : ("string" as const) }]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, ...COMMAND_FLAGS }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError(describeParseError(err));
  }
  const positionals = parsed.positionals;
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { command: "help", config: undefined as never };
  if (values.version) return { command: "version", config: undefined as never };

  const command = parseCommand(positionals);
  const raw = (name: string): string | undefined => {
    const flag = [...FLAGS, ...PRUNE_FLAGS].find((f) => f.name === name)!;
    const v = values[name];
    if (typeof v === "string") return v;
    if (typeof v === "boolean") return v ? "true" : "false";
    return flag.env ? env[flag.env] : undefined;
  };
  const flagLabel = (name: string) => {
    const flag = [...FLAGS, ...PRUNE_FLAGS].find((f) => f.name === name)!;
    return typeof values[name] !== "undefined" ? `--${name}` : flag.env && env[flag.env] !== undefined ? `${flag.env}` : `--${name}`;
  };
  const reader = (name: string) => ({ value: raw(name), label: flagLabel(name) });
  const pruneOnly = PRUNE_FLAGS.find((f) => values[f.name] !== undefined);
  if (pruneOnly && command !== "prune") throw new ConfigError(`--${pruneOnly.name} is a flag of taskflow prune only (see taskflow --help)`);

  const roles = parseRoles(raw("role") ?? "all", flagLabel("role"));
  const secret = (name: string) =>
    readSecret({ name, env: FLAGS.find((f) => f.name === name)!.env, value: raw(name), file: raw(`${name}-file`) });
  const config: Config = {
    roles,
    databaseUrl: parseDatabaseUrl(raw("database-url"), flagLabel("database-url")),
    dataDir: nonEmpty(raw("data-dir")) ?? DATA_DIR_DEFAULT,
    http: parseHostPort(raw("http") ?? HTTP_DEFAULT, flagLabel("http")),
    grpc: parseHostPort(raw("grpc") ?? GRPC_DEFAULT, flagLabel("grpc")),
    coordinators: parseCoordinators(raw("coordinator") ?? GRPC_DEFAULT, flagLabel("coordinator")),
    dialsOwnCoordinator: false,
    concurrency: parseInt(raw("concurrency"), flagLabel("concurrency"), cpus().length, 1, 10000),
    queues: parseQueues(raw("queues") ?? "default", flagLabel("queues")),
    labels: parseLabels(raw("labels"), flagLabel("labels")),
    name: nonEmpty(raw("name")) ?? `${hostname()}-${process.pid}`,
    token: secret("token"),
    workerToken: secret("worker-token"),
    taskEnvPassthrough: parseNameList(raw("task-env-passthrough"), flagLabel("task-env-passthrough")),
    insecure: parseBool(raw("insecure"), flagLabel("insecure")),
    httpIdleTimeoutSeconds: parseInt(raw("http-idle-timeout"), flagLabel("http-idle-timeout"), HTTP_IDLE_TIMEOUT_S_DEFAULT, 1, 255),
    sseMaxConnections: parseInt(raw("sse-max-connections"), flagLabel("sse-max-connections"), SSE_MAX_CONNECTIONS_DEFAULT, 1, 1_000_000),
    grpcTls: { cert: nonEmpty(raw("grpc-tls-cert")), key: nonEmpty(raw("grpc-tls-key")), ca: nonEmpty(raw("grpc-tls-ca")) },
    heartbeatMs: parseDurationFlag(raw("heartbeat"), flagLabel("heartbeat"), HEARTBEAT_MS_DEFAULT, 10, 3_600_000),
    workerTimeoutMs: parseDurationFlag(raw("worker-timeout"), flagLabel("worker-timeout"), WORKER_TIMEOUT_MS_DEFAULT, 100, 86_400_000),
    shutdownGraceMs: parseDurationFlag(raw("shutdown-grace"), flagLabel("shutdown-grace"), SHUTDOWN_GRACE_MS_DEFAULT, 0, 86_400_000),
    webhookAllowPrivate: parseBool(raw("webhook-allow-private"), flagLabel("webhook-allow-private")),
    metrics: raw("metrics") === undefined || raw("metrics")!.trim() === "" ? null : parseHostPort(raw("metrics")!, flagLabel("metrics")),
    maxLogBytes: parseInt(raw("max-log-bytes"), flagLabel("max-log-bytes"), MAX_LOG_BYTES_DEFAULT, MAX_LOG_BYTES_MIN, 2 ** 40),
    logFormat: parseChoice(raw("log-format"), flagLabel("log-format"), ["pretty", "json"], isTty ? "pretty" : "json"),
    logLevel: parseChoice(raw("log-level"), flagLabel("log-level"), ["debug", "info", "warn", "error"], "info"),
    retention: parseRetentionPolicy(reader),
    prune: null,
  };
  if (command === "prune") config.prune = parsePruneRequest(reader, config.retention, values["dry-run"] === true);
  // A worker in the same process as a coordinator dials that coordinator unless told otherwise.
  if (raw("coordinator") === undefined && config.roles.includes("coordinator")) {
    config.coordinators = [localCoordinatorAddress(config.grpc, config.grpcTls.cert !== null)];
    config.dialsOwnCoordinator = true;
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
  if (c.token !== null && c.token === c.workerToken) {
    throw new ConfigError("--worker-token must differ from --token: it exists so that a worker's secret cannot drive the API");
  }
  if (c.insecure) return;
  // IP literals are judged here; names are resolved and judged by checkBindNames() before binding.
  const literalOutside = (host: string) => isIpLiteral(host) && !isLoopbackAddress(host);
  if (serves("scheduler") && !c.token && literalOutside(c.http.host)) throw openBindError(label("http"), c.http);
  // Scrapers of a --metrics address outside loopback must present the token.
  if (c.metrics && !c.token && literalOutside(c.metrics.host)) throw openBindError(label("metrics"), c.metrics, "", "so scrapers must authenticate");
  // The coordinator's port is guarded by the worker token when there is one.
  if (serves("coordinator") && !c.token && !c.workerToken && literalOutside(c.grpc.host)) throw openBindError(label("grpc"), c.grpc);
}

/** The one-line refusal of an open (tokenless) bind outside loopback. */
export function openBindError(label: string, addr: HostPort, why = "", purpose?: string): ConfigError {
  const what = purpose ?? (label.includes("grpc") || label.includes("GRPC") ? "so workers must authenticate" : "so the API is not open to anyone");
  return new ConfigError(`${label}=${addr.host}:${addr.port} is not a loopback address${why ? ` (${why})` : ""}: set --token (TASKFLOW_TOKEN) ${what}, or pass --insecure`);
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

function parseCommand(positionals: string[]): Command {
  if (positionals.length === 0) return "run";
  if (positionals.length === 1 && (positionals[0] === "migrate" || positionals[0] === "version" || positionals[0] === "prune")) return positionals[0];
  throw new ConfigError(`unknown command "${positionals.join(" ")}": expected migrate, version, prune, or flags only (see --help)`);
}

function describeParseError(err: unknown): string {
  const msg = coerceError(err).message;
  const unknown = msg.match(/Unknown option '([^']+)'/);
  if (unknown) return `unknown flag ${unknown[1]} (see taskflow --help)`;
  const needsValue = msg.match(/Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/);
  if (needsValue) return `${needsValue[1]} needs a value, e.g. ${needsValue[1]}=VALUE (see taskflow --help)`;
  const noValue = msg.match(/Option '(?:-\w, )?(--[\w-]+)' does not take an argument/);
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

/** A comma list of environment variable names, each optionally ending in `*` (a prefix). */
function parseNameList(v: string | undefined, label: string): string[] {
  const list = (v ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const bad = list.find((n) => !/^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(n));
  if (bad !== undefined) throw new ConfigError(`${label}: bad name "${bad.slice(0, 64)}"; accepts a comma list of variable names, each may end in * (e.g. PGHOST,TASKFLOW_TASK_*)`);
  return list;
}

function parseLabels(v: string | undefined, label: string): Record<string, string> {
  try {
    return parseLabelList(v ?? "");
  } catch (err) {
    throw new ConfigError(`${label}: ${(err as Error).message}; accepts a comma list of KEY=VALUE, like region=eu,disk=ssd`);
  }
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

/** A duration flag (`2s`, `500ms`; a bare number is milliseconds, as these flags always took). */
function parseDurationFlag(v: string | undefined, label: string, dflt: number, min: number, max: number): number {
  if (v === undefined || v.trim() === "") return dflt;
  let value: number;
  try {
    value = parseDuration(v);
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    throw new ConfigError(durationRange(v, label, min, max));
  }
  if (value < min || value > max) throw new ConfigError(durationRange(v, label, min, max));
  return value;
}

function durationRange(v: string, label: string, min: number, max: number): string {
  return `${label}="${v}" must be a duration from ${formatDuration(min)} to ${formatDuration(max)}, e.g. 500ms, 2s, 1m (a bare number is ms)`;
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
