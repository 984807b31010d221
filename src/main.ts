/**
 * taskflow's entry point: parse config, pick the roles, start their services,
 * stop them in reverse on SIGINT/SIGTERM. Bad flags exit 2 with one line.
 */
import { isClientCommand } from "./cli/command-names.ts";
import { coerceError } from "./core/errors.ts";
import { ConfigError, parseConfig, type Config } from "./config/config.ts";
import { checkBindNames, checkPlaintextDial } from "./config/bind-check.ts";
import { helpText } from "./config/flags.ts";
import { checkArgvSecrets } from "./config/token-config.ts";
import { Lifecycle, type Service } from "./core/lifecycle.ts";
import { VERSION } from "./core/version.ts";
import { roleLogger, setupLogging } from "./log/logger.ts";

/** Extra time past the task grace for killing leftovers, flushing results and closing connections. */
const SHUTDOWN_SLACK_MS = 10_000;

async function main(): Promise<number> {
  // Client subcommands (taskflow run, ls, …) load only the CLI, never server code.
  if (isClientCommand(process.argv[2])) return (await import("./cli/run-client.ts")).runClient(process.argv.slice(2));
  let parsed;
  try {
    parsed = parseConfig(process.argv.slice(2), process.env, Boolean(process.stderr.isTTY));
    if (parsed.command === "run") {
      checkArgvSecrets(process.argv.slice(2), parsed.config.roles.includes("worker"));
      await checkBindNames(parsed.config);
      await checkPlaintextDial(parsed.config);
    }
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`taskflow: ${err.message}\n`);
    return 2;
  }
  const { command, config } = parsed;
  if (command === "help") return print(helpText());
  if (command === "version") return print(`taskflow ${VERSION}\n`);

  setupLogging({ format: config.logFormat, level: config.logLevel });
  if (command === "prune") return (await import("./cli/prune-command.ts")).runPruneCommand(config, (text) => process.stdout.write(text));
  const log = roleLogger("main");
  const lifecycle = new Lifecycle(log);
  const services = command === "migrate" ? [new (await import("./db/database-service.ts")).DatabaseService(config, roleLogger("db"))] : await roleServices(config);
  try {
    await lifecycle.start(services);
  } catch (err) {
    log.error("{message}", { message: coerceError(err).message });
    return 1;
  }
  if (command === "migrate") {
    await lifecycle.stop(SHUTDOWN_SLACK_MS);
    return 0;
  }
  const running = { version: VERSION, roles: config.roles.join(", ") };
  if (config.roles.includes("scheduler")) {
    log.info("taskflow {version} running: {roles}; dashboard at {dashboard}", { ...running, dashboard: `http://${config.http.host}:${config.http.port}` });
  } else log.info("taskflow {version} running: {roles}", running);
  const signal = await waitForSignal();
  log.info("{signal}: stopping", { signal });
  await lifecycle.stop(config.shutdownGraceMs + SHUTDOWN_SLACK_MS);
  log.info("stopped");
  return 0;
}

/** The services of the selected roles, in start order (the database first when needed). */
/**
 * Each role's modules load only when it runs (dynamic imports, still inside the
 * binary), so a worker never loads the database, HTTP and dashboard code.
 */
async function roleServices(config: Config): Promise<Service[]> {
  const services: Service[] = [];
  const has = (role: string) => config.roles.includes(role as never);
  const needsDatabase = has("scheduler") || has("coordinator");
  // A new embedded database takes seconds: say so before the roles' modules load (most
  // of a second on a busy machine), not after.
  if (needsDatabase) roleLogger("db").info((await import("./db/data-dir.ts")).openingMessage(config));
  // Coordinators and workers add their metrics to the one --metrics server of the process.
  const metricsServer = config.metrics ? new (await import("./metrics/metrics-server.ts")).MetricsServer(config.metrics, { token: config.token, log: roleLogger("metrics") }) : null;
  if (metricsServer) services.push(metricsServer);
  // A worker beside its own coordinator reaches it in memory, not through gRPC on loopback.
  const link = has("worker") && has("coordinator") && config.dialsOwnCoordinator ? new (await import("./proto/in-process-link.ts")).InProcessLink() : null;
  if (needsDatabase) {
    const { DatabaseService } = await import("./db/database-service.ts");
    const dbService = new DatabaseService(config, roleLogger("db"), { firstStartInChild: true, announced: true });
    dbService.begin();
    const { coordinatorServices } = await import("./coordinator/index.ts");
    const { schedulerServices } = await import("./scheduler/index.ts");
    const { SubmitWake } = await import("./core/submit-wake.ts");
    services.push(dbService);
    // With both roles here, a submit wakes this process's dispatcher directly, not through its NOTIFY's round trip.
    const submits = has("scheduler") && has("coordinator") ? new SubmitWake() : null;
    // Role services need the open database; they are built lazily once it has started.
    if (has("coordinator")) services.push(lazy("coordinator", () => coordinatorServices(config, dbService.database, metricsServer, submits, link)));
    if (has("scheduler")) services.push(lazy("scheduler", () => schedulerServices(config, dbService.database, submits)));
  }
  // Workers start last and so stop first: they drain while the coordinator still records results.
  if (has("worker")) services.push(...(await import("./worker/index.ts")).workerServices(config, metricsServer, link));
  return services;
}

/** A service group whose members are built at start time (after their dependencies started). */
function lazy(name: string, build: () => Service[]): Service {
  const inner = new Lifecycle(roleLogger(name));
  return {
    name,
    start: () => inner.start(build()),
    // The outer lifecycle enforces the real deadline.
    stop: () => inner.stop(2 ** 31 - 1),
  };
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
}

function print(text: string): number {
  process.stdout.write(text);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`taskflow: ${coerceError(err).message}\n`);
    process.exit(1);
  },
);
