import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, parseConfig } from "./config.ts";
import { FLAGS, helpText } from "./flags.ts";

const parse = (argv: string[], env: Record<string, string> = {}) => parseConfig(argv, env).config;
const errorOf = (argv: string[], env: Record<string, string> = {}) => {
  try {
    parseConfig(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
};

describe("config precedence", () => {
  test("defaults", () => {
    const c = parse([]);
    expect(c.roles).toEqual(["scheduler", "coordinator", "worker"]);
    expect(c.databaseUrl).toBeNull();
    expect(c.dataDir).toBe("./taskflow-data");
    expect(c.http).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(c.grpc).toEqual({ host: "127.0.0.1", port: 50051 });
    expect(c.coordinators).toEqual(["127.0.0.1:50051"]);
    expect(c.queues).toEqual(["default"]);
    expect(c.heartbeatMs).toBe(2000);
    expect(c.workerTimeoutMs).toBe(10000);
    expect(c.token).toBeNull();
    expect(c.logLevel).toBe("info");
    expect(c.logFormat).toBe("json");
    expect(parseConfig([], {}, true).config.logFormat).toBe("pretty");
  });

  test("env beats defaults and flags beat env", () => {
    const env = { TASKFLOW_HEARTBEAT_MS: "500", TASKFLOW_QUEUES: "a,b", TASKFLOW_CONCURRENCY: "3" };
    expect(parse([], env).heartbeatMs).toBe(500);
    expect(parse([], env).queues).toEqual(["a", "b"]);
    expect(parse(["--heartbeat=700"], env).heartbeatMs).toBe(700);
    expect(parse(["--concurrency", "9"], env).concurrency).toBe(9);
    expect(parse([], { DATABASE_URL: "postgres://x/y" }).databaseUrl).toBe("postgres://x/y");
    expect(parse(["--database-url=postgresql://a/b"], { DATABASE_URL: "postgres://x/y" }).databaseUrl).toBe("postgresql://a/b");
  });

  test("a worker beside a coordinator dials that coordinator's --grpc unless --coordinator is given", () => {
    expect(parse(["--grpc=127.0.0.1:6000"]).coordinators).toEqual(["127.0.0.1:6000"]);
    expect(parse(["--grpc=127.0.0.1:6000", "--coordinator=10.0.0.1:1"]).coordinators).toEqual(["10.0.0.1:1"]);
    expect(parse(["--role=worker", "--grpc=127.0.0.1:6000"]).coordinators).toEqual(["127.0.0.1:50051"]);
    expect(parse(["--grpc=0.0.0.0:6000", "--insecure"]).coordinators).toEqual(["127.0.0.1:6000"]);
    expect(parse(["--grpc=[::]:6000", "--insecure"]).coordinators).toEqual(["[::1]:6000"]);
    expect(parse(["--grpc=[::1]:6000"]).coordinators).toEqual(["[::1]:6000"]);
    expect(parse(["--grpc=0.0.0.0:6000", "--token=0123456789abcdef", "--grpc-tls-cert=c", "--grpc-tls-key=k"]).coordinators).toEqual(["localhost:6000"]);
  });

  test("only a worker beside its own coordinator, with no --coordinator, dials it in memory", () => {
    expect(parse([]).dialsOwnCoordinator).toBe(true);
    expect(parse(["--role=coordinator,worker", "--database-url=postgres://x/y"]).dialsOwnCoordinator).toBe(true);
    // Naming a coordinator, even this one, keeps gRPC; so does a worker alone.
    expect(parse(["--grpc=127.0.0.1:6000", "--coordinator=127.0.0.1:6000"]).dialsOwnCoordinator).toBe(false);
    expect(parse(["--role=worker"]).dialsOwnCoordinator).toBe(false);
  });

  test("roles: single, comma lists, all", () => {
    expect(parse(["--role=worker"]).roles).toEqual(["worker"]);
    expect(parse(["--role=coordinator,scheduler"]).roles).toEqual(["scheduler", "coordinator"]);
    expect(parse(["--role=all,worker"]).roles).toEqual(["scheduler", "coordinator", "worker"]);
  });

  test("an empty token counts as no token", () => {
    expect(parse(["--token="]).token).toBeNull();
    expect(parse([], { TASKFLOW_TOKEN: "  " }).token).toBeNull();
    expect(parse([], { TASKFLOW_TOKEN: " s3cret-s3cret-s3cret " }).token).toBe("s3cret-s3cret-s3cret");
  });

  test("version and migrate ignore the rules about binds and roles", () => {
    expect(parseConfig(["version"], { TASKFLOW_HTTP: "0.0.0.0:8080" }).command).toBe("version");
    expect(parseConfig(["migrate", "--role=scheduler"], { TASKFLOW_GRPC: "0.0.0.0:50051" }).command).toBe("migrate");
    expect(() => parseConfig(["version", "--role=banana"], {})).toThrow(ConfigError);
  });

  test("commands", () => {
    expect(parseConfig(["version"], {}).command).toBe("version");
    expect(parseConfig(["migrate"], {}).command).toBe("migrate");
    expect(parseConfig(["--help"], {}).command).toBe("help");
    expect(parseConfig([], {}).command).toBe("run");
  });

  test("-h, --version and -v are the usual aliases of help and version", () => {
    expect(parseConfig(["-h"], {}).command).toBe("help");
    expect(parseConfig(["--version"], {}).command).toBe("version");
    expect(parseConfig(["-v"], {}).command).toBe("version");
    expect(() => parseConfig(["--version=1"], {})).toThrow("--version takes no value");
  });
});

describe("config errors name the flag and what it accepts", () => {
  test.each([
    [["--role=banana"], {}, /--role: unknown role "banana"; accepts all, scheduler, coordinator, worker/],
    [[], { TASKFLOW_ROLE: "banana" }, /TASKFLOW_ROLE: unknown role "banana"/],
    [["--bogus"], {}, /unknown flag --bogus/],
    [["--http=nope"], {}, /--http="nope" must be HOST:PORT/],
    [["--http=127.0.0.1:99999"], {}, /--http="127.0.0.1:99999" must be HOST:PORT/],
    [["--concurrency=0"], {}, /--concurrency="0" must be a whole number from 1/],
    [["--concurrency=two"], {}, /--concurrency="two" must be a whole number/],
    [["--heartbeat=-5"], {}, /--heartbeat="-5" must be a duration from 10ms to 1h, e.g. 500ms, 2s/],
    [["--worker-timeout=soon"], {}, /--worker-timeout="soon" must be a duration from 100ms to 1d/],
    [["--retain-completed=7"], {}, /--retain-completed="7" has no unit; write e.g. 7d, 7h or 7m \(or 0 to turn it off\)/],
    [[], { TASKFLOW_RETAIN_FAILED: "a month" }, /TASKFLOW_RETAIN_FAILED="a month" is not a duration such as/],
    [["--retain-workers=-1d"], {}, /--retain-workers="-1d" is negative/],
    [["prune", "--status=done"], {}, /--status "done" is not a finished status; accepts a comma list of completed, failed, cancelled/],
    [["prune", "--older-than=3"], {}, /--older-than="3" has no unit/],
    [["--dry-run"], {}, /--dry-run is a flag of taskflow prune only/],
    [["--queues=Bad Queue"], {}, /--queues: bad queue "Bad Queue"; accepts a comma list/],
    [["--log-level=loud"], {}, /--log-level="loud" must be one of debug, info, warn, error/],
    [["--log-format=xml"], {}, /--log-format="xml" must be one of pretty, json/],
    [["--database-url=mysql://x"], {}, /--database-url must be a postgres:\/\/ or postgresql:\/\/ URL/],
    [["--insecure=maybe"], {}, /takes no value/],
    [[], { TASKFLOW_INSECURE: "maybe" }, /TASKFLOW_INSECURE="maybe" must be true or false/],
    [["--heartbeat=20000"], {}, /--heartbeat \(20000 ms\) must be shorter than --worker-timeout/],
    [["--grpc-tls-cert=/x"], {}, /--grpc-tls-cert and --grpc-tls-key must be given together/],
    [["frobnicate"], {}, /unknown command "frobnicate"/],
  ] as [string[], Record<string, string>, RegExp][])("%p %p", (argv, env, message) => {
    const msg = errorOf(argv, env);
    expect(msg).toMatch(message);
    expect(msg).not.toContain("\n");
  });

  test("embedded database: scheduler and coordinator must share the process", () => {
    expect(errorOf(["--role=scheduler"])).toMatch(/embedded database serves one process.*DATABASE_URL/);
    expect(errorOf(["--role=coordinator"])).toMatch(/DATABASE_URL/);
    expect(parse(["--role=scheduler"], { DATABASE_URL: "postgres://h/db" }).roles).toEqual(["scheduler"]);
    expect(parse(["--role=scheduler,coordinator"]).roles).toEqual(["scheduler", "coordinator"]);
    // Workers never touch the database.
    expect(parse(["--role=worker"]).roles).toEqual(["worker"]);
  });

  test("a non-loopback bind without a token refuses unless --insecure", () => {
    expect(errorOf(["--http=0.0.0.0:8080"])).toMatch(/not a loopback address: set --token/);
    expect(errorOf(["--grpc=10.0.0.5:50051"])).toMatch(/--grpc=10.0.0.5:50051 is not a loopback address/);
    expect(errorOf(["--http=0.0.0.0:8080", "--token="])).toMatch(/set --token/);
    expect(parse(["--http=0.0.0.0:8080", "--token=0123456789abcdef"]).http.host).toBe("0.0.0.0");
    expect(parse(["--http=0.0.0.0:8080", "--insecure"]).insecure).toBe(true);
    expect(parse(["--http=[::1]:8080"]).http.host).toBe("::1");
    // A worker binds nothing: its own --http does not matter.
    expect(parse(["--role=worker", "--http=0.0.0.0:1"]).roles).toEqual(["worker"]);
  });
});

describe("durations and retention", () => {
  test("the millisecond flags take human durations and still take bare milliseconds", () => {
    expect(parse(["--heartbeat=500ms", "--worker-timeout=15s"]).heartbeatMs).toBe(500);
    expect(parse(["--worker-timeout=15s"]).workerTimeoutMs).toBe(15_000);
    expect(parse(["--shutdown-grace=1m"]).shutdownGraceMs).toBe(60_000);
    expect(parse([], { TASKFLOW_WORKER_TIMEOUT_MS: "12000" }).workerTimeoutMs).toBe(12_000);
  });

  test("retention defaults: 7d completed, 30d failed, 7d cancelled, 1d dead workers", () => {
    expect(parse([]).retention).toEqual({ completed: 7 * 86_400_000, failed: 30 * 86_400_000, cancelled: 7 * 86_400_000, workers: 86_400_000 });
  });

  test("retention from flags and env; 0 and forever turn a policy off", () => {
    const c = parse(["--retain-completed=1m", "--retain-failed=forever"], { TASKFLOW_RETAIN_CANCELLED: "0", TASKFLOW_RETAIN_WORKERS: "12h" });
    expect(c.retention).toEqual({ completed: 60_000, failed: null, cancelled: null, workers: 43_200_000 });
    expect(parse(["--retain-completed=2h"], { TASKFLOW_RETAIN_COMPLETED: "1h" }).retention.completed).toBe(7_200_000);
  });

  test("taskflow prune follows the policies unless told an age and statuses", () => {
    const run = (argv: string[], env: Record<string, string> = {}) => parseConfig(["prune", ...argv], env);
    expect(run([]).command).toBe("prune");
    expect(run(["--retain-failed=0"]).config.prune).toEqual({
      plan: { tasks: [{ status: "completed", olderThanMs: 604_800_000 }, { status: "cancelled", olderThanMs: 604_800_000 }], workersOlderThanMs: 86_400_000 },
      dryRun: false,
    });
    expect(run(["--older-than=1h", "--dry-run"]).config.prune).toEqual({
      plan: { tasks: ["completed", "failed", "cancelled"].map((status) => ({ status, olderThanMs: 3_600_000 })) as never, workersOlderThanMs: 86_400_000 },
      dryRun: true,
    });
    // --status narrows to tasks: dead worker sessions are left alone.
    expect(run(["--status=failed", "--older-than=0"]).config.prune!.plan).toEqual({ tasks: [{ status: "failed", olderThanMs: 0 }], workersOlderThanMs: null });
    expect(run(["--status=completed,failed"]).config.prune!.plan.tasks.map((t) => t.status)).toEqual(["completed", "failed"]);
    expect(parse([]).prune).toBeNull();
  });
});

test("--help lists every flag with its env variable and default", () => {
  const help = helpText();
  for (const f of FLAGS) {
    expect(help).toContain(`--${f.name}`);
    expect(help).toContain(f.env);
  }
});

describe("security flags", () => {
  test("--token-file reads the token (trimmed); with --token too, or unreadable, or too short: one line", () => {
    const dir = mkdtempSync(join(tmpdir(), "taskflow-config-"));
    try {
      writeFileSync(join(dir, "t"), "0123456789abcdef0123\n");
      writeFileSync(join(dir, "short"), "abc\n");
      expect(parse([`--token-file=${join(dir, "t")}`]).token).toBe("0123456789abcdef0123");
      expect(parse([], { TASKFLOW_TOKEN_FILE: join(dir, "t") }).token).toBe("0123456789abcdef0123");
      expect(errorOf([`--token-file=${join(dir, "t")}`, "--token=0123456789abcdef0123"])).toMatch(/give --token \(TASKFLOW_TOKEN\) or --token-file, not both/);
      expect(errorOf([`--token-file=${join(dir, "missing")}`])).toMatch(/--token-file=.*missing cannot be read: ENOENT/);
      expect(errorOf([`--token-file=${join(dir, "short")}`])).toMatch(/--token is too short \(3 characters/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a short token is refused without echoing it", () => {
    const message = errorOf(["--token=hunter2"]);
    expect(message).toMatch(/openssl rand -hex 32/);
    expect(message).not.toContain("hunter2");
  });

  test("--task-env-passthrough, --sse-max-connections, --http-idle-timeout", () => {
    expect(parse(["--task-env-passthrough=PGHOST, AWS_*"]).taskEnvPassthrough).toEqual(["PGHOST", "AWS_*"]);
    expect(parse([]).taskEnvPassthrough).toEqual([]);
    expect(errorOf(["--task-env-passthrough=A-B"])).toMatch(/--task-env-passthrough: bad name "A-B"/);
    expect(parse([]).sseMaxConnections).toBe(1000);
    expect(errorOf(["--sse-max-connections=0"])).toMatch(/--sse-max-connections="0" must be a whole number from 1/);
    expect(parse([]).httpIdleTimeoutSeconds).toBe(30);
    expect(errorOf(["--http-idle-timeout=300"])).toMatch(/from 1 to 255/);
  });
});

describe("notification and metrics flags", () => {
  test("--webhook-allow-private is off unless given (flag or env)", () => {
    expect(parse([]).webhookAllowPrivate).toBe(false);
    expect(parse(["--webhook-allow-private"]).webhookAllowPrivate).toBe(true);
    expect(parse([], { TASKFLOW_WEBHOOK_ALLOW_PRIVATE: "true" }).webhookAllowPrivate).toBe(true);
    expect(errorOf([], { TASKFLOW_WEBHOOK_ALLOW_PRIVATE: "maybe" })).toMatch(/TASKFLOW_WEBHOOK_ALLOW_PRIVATE="maybe" must be true or false/);
  });

  test("--metrics is a HOST:PORT, loopback unless a token or --insecure", () => {
    expect(parse([]).metrics).toBeNull();
    expect(parse(["--role=worker", "--metrics=127.0.0.1:9101"]).metrics).toEqual({ host: "127.0.0.1", port: 9101 });
    expect(errorOf(["--metrics=9101"])).toMatch(/--metrics="9101" must be HOST:PORT/);
    expect(errorOf(["--role=worker", "--metrics=0.0.0.0:9101"])).toMatch(/--metrics=0.0.0.0:9101 is not a loopback address/);
    expect(parse(["--role=worker", "--metrics=0.0.0.0:9101"], { TASKFLOW_TOKEN: "0123456789abcdef0123" }).metrics?.host).toBe("0.0.0.0");
  });
});
