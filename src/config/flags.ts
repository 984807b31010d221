/**
 * The command-line contract (SPEC §1): every flag with its env variable, default and help.
 * One table drives parsing, `--help` and the docs, so they can never disagree.
 */
import { cpus } from "node:os";

export const HTTP_DEFAULT = "127.0.0.1:8080";
export const GRPC_DEFAULT = "127.0.0.1:50051";
export const DATA_DIR_DEFAULT = "./taskflow-data";
export const HEARTBEAT_MS_DEFAULT = 2000;
export const WORKER_TIMEOUT_MS_DEFAULT = 10000;
export const SHUTDOWN_GRACE_MS_DEFAULT = 30000;
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
  { name: "coordinator", env: "TASKFLOW_COORDINATOR", defaultText: GRPC_DEFAULT, help: "worker: coordinator address(es), comma-separated for failover" },
  { name: "concurrency", env: "TASKFLOW_CONCURRENCY", defaultText: `CPU count (${cpus().length})`, help: "worker: tasks run at once" },
  { name: "queues", env: "TASKFLOW_QUEUES", defaultText: "default", help: "worker: queues it takes tasks from (comma list)" },
  { name: "name", env: "TASKFLOW_NAME", defaultText: "hostname-pid", help: "worker: display name" },
  { name: "token", env: "TASKFLOW_TOKEN", defaultText: "none", help: "shared secret for the API, the dashboard and gRPC" },
  { name: "insecure", env: "TASKFLOW_INSECURE", defaultText: "off", help: "allow a non-loopback bind without a token", boolean: true },
  { name: "grpc-tls-cert", env: "TASKFLOW_GRPC_TLS_CERT", defaultText: "none", help: "gRPC TLS certificate (server; client cert for mutual TLS)" },
  { name: "grpc-tls-key", env: "TASKFLOW_GRPC_TLS_KEY", defaultText: "none", help: "gRPC TLS private key" },
  { name: "grpc-tls-ca", env: "TASKFLOW_GRPC_TLS_CA", defaultText: "none", help: "gRPC CA: verifies the peer (mutual TLS on the coordinator)" },
  { name: "heartbeat", env: "TASKFLOW_HEARTBEAT_MS", defaultText: String(HEARTBEAT_MS_DEFAULT), help: "worker heartbeat interval, ms" },
  { name: "worker-timeout", env: "TASKFLOW_WORKER_TIMEOUT_MS", defaultText: String(WORKER_TIMEOUT_MS_DEFAULT), help: "a worker silent this long (ms) is dead" },
  { name: "shutdown-grace", env: "TASKFLOW_SHUTDOWN_GRACE_MS", defaultText: String(SHUTDOWN_GRACE_MS_DEFAULT), help: "on SIGTERM, how long running tasks may finish (ms) before they are killed" },
  { name: "max-log-bytes", env: "TASKFLOW_MAX_LOG_BYTES", defaultText: String(MAX_LOG_BYTES_DEFAULT), help: "coordinator: output stored per attempt; past it the first and last halves are kept" },
  { name: "log-format", env: "TASKFLOW_LOG_FORMAT", defaultText: "pretty on a TTY, else json", help: "log output: pretty or json" },
  { name: "log-level", env: "TASKFLOW_LOG_LEVEL", defaultText: "info", help: "debug, info, warn, error" },
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
    "  taskflow version        print the version and exit",
    "  taskflow --help         this text",
    "",
    "flags (flags beat env variables, env beats defaults):",
    ...rows,
    "",
  ].join("\n");
}
