/**
 * The command-line contract (SPEC §1): every flag with its env variable, default and help.
 * One table drives parsing, `--help` and the docs, so they can never disagree.
 */
import { cpus } from "node:os";
import { clientCommandsHelp } from "../cli/help-text.ts";

export const HTTP_DEFAULT = "127.0.0.1:8080";
export const GRPC_DEFAULT = "127.0.0.1:50051";
export const DATA_DIR_DEFAULT = "./taskflow-data";
export const HEARTBEAT_MS_DEFAULT = 2000;
export const WORKER_TIMEOUT_MS_DEFAULT = 10000;
export const SHUTDOWN_GRACE_MS_DEFAULT = 30000;
/** Retention defaults: failures are kept longer, they are what people come back to read. */
export const RETAIN_COMPLETED_DEFAULT = "7d";
export const RETAIN_FAILED_DEFAULT = "30d";
export const RETAIN_CANCELLED_DEFAULT = "7d";
export const RETAIN_WORKERS_DEFAULT = "1d";
export const SSE_MAX_CONNECTIONS_DEFAULT = 1000;
/** Seconds an HTTP connection may stall (a trickling body, an idle keep-alive) before it is closed. */
export const HTTP_IDLE_TIMEOUT_S_DEFAULT = 30;
/** Output stored per attempt (16 MiB); past it the first and last halves are kept. */
export const MAX_LOG_BYTES_DEFAULT = 16 * 1024 * 1024;
/** The smallest --max-log-bytes: one chunk of head and one of tail. */
export const MAX_LOG_BYTES_MIN = 64 * 1024;

export interface FlagSpec {
  /** Flag name without the leading dashes. */
  name: string;
  env: string;
  /** Default shown in --help; undefined means "none". */
  help: string;
  defaultText: string;
  boolean?: boolean;
}

export const FLAGS: FlagSpec[] = [
  { name: "role", env: "TASKFLOW_ROLE", defaultText: "all", help: "roles this process runs: all, scheduler, coordinator, worker (comma list)" },
  { name: "database-url", env: "DATABASE_URL", defaultText: "none", help: "PostgreSQL URL; none = embedded PostgreSQL (PGlite) in --data-dir" },
  { name: "data-dir", env: "TASKFLOW_DATA_DIR", defaultText: DATA_DIR_DEFAULT, help: "embedded database folder; memory:// keeps nothing" },
  { name: "http", env: "TASKFLOW_HTTP", defaultText: HTTP_DEFAULT, help: "scheduler listen address (API + dashboard)" },
  { name: "grpc", env: "TASKFLOW_GRPC", defaultText: GRPC_DEFAULT, help: "coordinator listen address" },
  { name: "coordinator", env: "TASKFLOW_COORDINATOR", defaultText: GRPC_DEFAULT, help: "worker: coordinator address(es), comma-separated for failover (unset beside a coordinator: that one, in memory)" },
  { name: "concurrency", env: "TASKFLOW_CONCURRENCY", defaultText: `CPU count (${cpus().length})`, help: "worker: tasks run at once" },
  { name: "queues", env: "TASKFLOW_QUEUES", defaultText: "default", help: "worker: queues it takes tasks from (comma list)" },
  { name: "labels", env: "TASKFLOW_LABELS", defaultText: "none", help: "worker: labels task selectors match (comma list of KEY=VALUE); hostname, os and arch are added" },
  { name: "name", env: "TASKFLOW_NAME", defaultText: "hostname-pid", help: "worker: display name" },
  { name: "token", env: "TASKFLOW_TOKEN", defaultText: "none", help: "shared secret for the API, the dashboard and (without --worker-token) gRPC; 16+ characters, by env or --token-file on workers" },
  { name: "token-file", env: "TASKFLOW_TOKEN_FILE", defaultText: "none", help: "read --token from this file (keeps it out of ps and the environment)" },
  { name: "worker-token", env: "TASKFLOW_WORKER_TOKEN", defaultText: "none", help: "the workers' own secret: when set, gRPC accepts only it and the HTTP API refuses it (--token stays the API's)" },
  { name: "worker-token-file", env: "TASKFLOW_WORKER_TOKEN_FILE", defaultText: "none", help: "read --worker-token from this file" },
  { name: "task-env-passthrough", env: "TASKFLOW_TASK_ENV_PASSTHROUGH", defaultText: "none", help: "worker: variables tasks inherit although they look like secrets (TASKFLOW_*, DATABASE_URL, PG*); comma list, NAME* for a prefix" },
  { name: "insecure", env: "TASKFLOW_INSECURE", defaultText: "off", help: "allow a non-loopback bind without a token", boolean: true },
  { name: "http-idle-timeout", env: "TASKFLOW_HTTP_IDLE_TIMEOUT_S", defaultText: String(HTTP_IDLE_TIMEOUT_S_DEFAULT), help: "scheduler: seconds a connection may stall (slow body, idle) before it is closed; SSE streams are exempt (1–255)" },
  { name: "sse-max-connections", env: "TASKFLOW_SSE_MAX_CONNECTIONS", defaultText: String(SSE_MAX_CONNECTIONS_DEFAULT), help: "scheduler: live event streams (SSE) open at once; more get 503" },
  { name: "grpc-tls-cert", env: "TASKFLOW_GRPC_TLS_CERT", defaultText: "none", help: "gRPC TLS certificate (server; client cert for mutual TLS)" },
  { name: "grpc-tls-key", env: "TASKFLOW_GRPC_TLS_KEY", defaultText: "none", help: "gRPC TLS private key" },
  { name: "grpc-tls-ca", env: "TASKFLOW_GRPC_TLS_CA", defaultText: "none", help: "gRPC CA: verifies the peer (mutual TLS on the coordinator)" },
  { name: "heartbeat", env: "TASKFLOW_HEARTBEAT_MS", defaultText: "2s", help: "worker heartbeat interval (a duration; a bare number is ms)" },
  { name: "worker-timeout", env: "TASKFLOW_WORKER_TIMEOUT_MS", defaultText: "10s", help: "a worker silent this long is dead (a duration; a bare number is ms)" },
  { name: "shutdown-grace", env: "TASKFLOW_SHUTDOWN_GRACE_MS", defaultText: "30s", help: "on SIGTERM, how long running tasks may finish before they are killed (a duration; a bare number is ms)" },
  { name: "retain-completed", env: "TASKFLOW_RETAIN_COMPLETED", defaultText: RETAIN_COMPLETED_DEFAULT, help: "coordinator: prune completed tasks this long after they finished (0 or forever: never)" },
  { name: "retain-failed", env: "TASKFLOW_RETAIN_FAILED", defaultText: RETAIN_FAILED_DEFAULT, help: "coordinator: prune failed tasks this long after they finished (0 or forever: never)" },
  { name: "retain-cancelled", env: "TASKFLOW_RETAIN_CANCELLED", defaultText: RETAIN_CANCELLED_DEFAULT, help: "coordinator: prune cancelled tasks this long after they finished (0 or forever: never)" },
  { name: "retain-workers", env: "TASKFLOW_RETAIN_WORKERS", defaultText: RETAIN_WORKERS_DEFAULT, help: "coordinator: prune dead worker sessions this long after they stopped (0 or forever: never)" },
  { name: "webhook-allow-private", env: "TASKFLOW_WEBHOOK_ALLOW_PRIVATE", defaultText: "off", help: "let webhooks reach loopback, link-local and private addresses", boolean: true },
  { name: "metrics", env: "TASKFLOW_METRICS", defaultText: "none", help: "coordinator/worker: serve Prometheus /metrics on HOST:PORT" },
  { name: "max-log-bytes", env: "TASKFLOW_MAX_LOG_BYTES", defaultText: String(MAX_LOG_BYTES_DEFAULT), help: "coordinator: output stored per attempt; past it the first and last halves are kept" },
  { name: "log-format", env: "TASKFLOW_LOG_FORMAT", defaultText: "pretty on a TTY, else json", help: "log output: pretty or json" },
  { name: "log-level", env: "TASKFLOW_LOG_LEVEL", defaultText: "info", help: "debug, info, warn, error" },
];

/** Flags of `taskflow prune` only (no env variables: they describe one run). */
export const PRUNE_FLAGS: FlagSpec[] = [
  { name: "older-than", env: "", defaultText: "the --retain-* policies", help: "prune finished tasks that finished longer ago than this (0: all finished)" },
  { name: "status", env: "", defaultText: "completed,failed,cancelled", help: "which finished tasks: a comma list of completed, failed, cancelled" },
  { name: "dry-run", env: "", defaultText: "off", help: "count what would be removed; remove nothing", boolean: true },
];

/** The text of `taskflow --help`. */
export function helpText(): string {
  const rows = FLAGS.map((f) => {
    const flag = f.boolean ? `--${f.name}` : `--${f.name}=VALUE`;
    return `  ${flag.padEnd(26)} ${f.help}\n  ${"".padEnd(26)} env ${f.env}, default ${f.defaultText}`;
  });
  return [
    "taskflow: a distributed task scheduler for shell commands",
    "",
    "usage:",
    "  taskflow [--role=all|scheduler|coordinator|worker[,ROLE...]] [flags]",
    "  taskflow migrate        apply database migrations and exit",
    "  taskflow version        print the version and exit (also --version, -v)",
    "  taskflow prune          remove finished tasks (and dead worker sessions) past retention now, and exit",
    "  taskflow --help         this text (also -h)",
    "",
    "durations: 500ms, 90s, 15m, 12h, 7d, 2w (a bare number is milliseconds)",
    "",
    "client commands (talk to a scheduler's API; taskflow help COMMAND for each):",
    ...clientCommandsHelp(),
    "",
    "flags (flags beat env variables, env beats defaults):",
    ...rows,
    "",
    "taskflow prune flags (with --database-url / --data-dir; without --status it also prunes dead worker sessions):",
    ...PRUNE_FLAGS.map((f) => `  ${(f.boolean ? `--${f.name}` : `--${f.name}=VALUE`).padEnd(26)} ${f.help}\n  ${"".padEnd(26)} default ${f.defaultText}`),
    "",
  ].join("\n");
}
