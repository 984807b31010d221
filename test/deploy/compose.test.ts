/**
 * compose.yaml without a Docker engine: Compose itself validates it (Debian's
 * docker-compose, or `docker compose` where the plugin exists), and the rules that
 * keep the deployment safe are checked on the parsed file.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SHUTDOWN_GRACE_MS_DEFAULT } from "../../src/config/flags.ts";
import { findProgram, systemToolAvailable } from "../support/system-tools.ts";
import { COMPOSE_FILE, durationSeconds, InterpolationError, loadCompose, ROOT, serviceEnv } from "./compose-file.ts";

const hasCompose = systemToolAvailable(
  "docker-compose",
  findProgram("docker-compose") !== null || (Bun.which("docker") !== null && Bun.spawnSync(["docker", "compose", "version"]).exitCode === 0),
  "apt-get install -y docker-compose",
);

const work = mkdtempSync(join(tmpdir(), "taskflow-compose-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `docker compose` (v2 plugin) when present, else Debian's `docker-compose`; an error says how to get one. */
function composeCommand(): string[] {
  if (Bun.which("docker") && Bun.spawnSync(["docker", "compose", "version"]).exitCode === 0) return ["docker", "compose"];
  const v1 = Bun.which("docker-compose");
  if (v1) return [v1];
  throw new Error("neither `docker compose` nor `docker-compose` is installed: `apt-get install -y docker-compose` (.ci/run installs it when missing)");
}

/** .env.example as a user fills it in: the two secrets set, everything else as shipped. */
function exampleEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, ".env.example"), "utf8").split("\n")) {
    const m = line.match(/^([A-Z_][A-Z0-9_]*)=(.*)$/);
    if (m) env[m[1]!] = m[2]!;
  }
  return { ...env, TASKFLOW_TOKEN: "t0ken-for-tests-0123", POSTGRES_PASSWORD: "pw4tests", ...overrides };
}

function composeConfig(env: Record<string, string>, extra: string[] = []) {
  const envFile = join(work, `env-${Math.random().toString(36).slice(2)}`);
  writeFileSync(envFile, Object.entries(env).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
  const r = Bun.spawnSync([...composeCommand(), "--env-file", envFile, "-f", COMPOSE_FILE, ...extra, "config"], {
    cwd: work,
    // Only the env file speaks: no COMPOSE_* or TASKFLOW_* from the caller's shell.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? work },
  });
  return { exitCode: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe.skipIf(!hasCompose)("Compose accepts compose.yaml", () => {
  test("with .env.example filled in", () => {
    const r = composeConfig(exampleEnv());
    expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: expect.any(String) });
    const config = Bun.YAML.parse(r.stdout) as { services: Record<string, { profiles?: string[] }> };
    // Compose v2 leaves out services of inactive profiles; Debian's v1 lists them with their profiles.
    const active = Object.entries(config.services).filter(([, s]) => !s.profiles?.length).map(([name]) => name);
    expect(active.sort()).toEqual(["coordinator", "nginx", "postgres", "scheduler", "worker"]);
  });

  test("with the tls profile, which adds certbot", () => {
    const r = composeConfig(exampleEnv({ TASKFLOW_DOMAIN: "tasks.example.com", LETSENCRYPT_EMAIL: "ops@example.com", COMPOSE_PROFILES: "tls" }));
    expect(r.exitCode).toBe(0);
    const config = Bun.YAML.parse(r.stdout) as { services: Record<string, { environment?: Record<string, string> }> };
    expect(Object.keys(config.services)).toContain("certbot");
    expect(config.services.nginx!.environment!.TASKFLOW_DOMAIN).toBe("tasks.example.com");
  });

  test("with the tls and duckdns profiles, which add certbot and the DuckDNS updater", () => {
    const r = composeConfig(exampleEnv({ TASKFLOW_DOMAIN: "tasks.duckdns.org", LETSENCRYPT_EMAIL: "ops@example.com", DUCKDNS_TOKEN: "tok-123", COMPOSE_PROFILES: "tls,duckdns" }));
    expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: expect.any(String) });
    const config = Bun.YAML.parse(r.stdout) as { services: Record<string, { environment?: Record<string, string>; entrypoint?: string[] }> };
    expect(Object.keys(config.services)).toEqual(expect.arrayContaining(["certbot", "duckdns"]));
    expect(config.services.duckdns!.environment).toMatchObject({ DUCKDNS_TOKEN: "tok-123", TASKFLOW_DOMAIN: "tasks.duckdns.org" });
    expect(config.services.duckdns!.entrypoint).toEqual(["/bin/sh", "/opt/taskflow/duckdns.sh"]);
  });

  test.each(["TASKFLOW_TOKEN", "POSTGRES_PASSWORD"])("refuses to run with %s empty, saying where to set it", (name) => {
    const r = composeConfig(exampleEnv({ [name]: "" }));
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(`set ${name} in .env`);
  });
});

describe("compose.yaml's rules", () => {
  const compose = loadCompose(exampleEnv());
  const raw = readFileSync(COMPOSE_FILE, "utf8");
  const taskflowServices = Object.entries(compose.services).filter(([, s]) => s.image === "taskflow:local");

  test("every role runs from the one image, built from the Dockerfile", () => {
    expect(taskflowServices.map(([name]) => name).sort()).toEqual(["coordinator", "scheduler", "worker"]);
    for (const [, s] of taskflowServices) {
      expect(s.build).toBe(".");
      expect(s.init).toBe(true);
    }
    expect(taskflowServices.map(([, s]) => serviceEnv(s).TASKFLOW_ROLE).sort()).toEqual(["coordinator", "scheduler", "worker"]);
  });

  test("no default secret: the token and the database password must come from .env", () => {
    expect(raw).toContain("${TASKFLOW_TOKEN:?set TASKFLOW_TOKEN in .env");
    expect(raw).toContain("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env");
    expect(() => loadCompose({})).toThrow(InterpolationError);
    for (const [, s] of taskflowServices) {
      expect(serviceEnv(s).TASKFLOW_TOKEN).toBe("t0ken-for-tests-0123");
    }
    // Only workers may speak plaintext gRPC, and only on the compose network; nothing listens open.
    expect(serviceEnv(compose.services.scheduler!).TASKFLOW_INSECURE).toBeUndefined();
    expect(serviceEnv(compose.services.coordinator!).TASKFLOW_INSECURE).toBeUndefined();
    expect(serviceEnv(compose.services.worker!).TASKFLOW_INSECURE).toBe("true");
  });

  test("stop_grace_period outlasts taskflow's own drain (30 s for tasks, then flushing)", () => {
    const drainSeconds = SHUTDOWN_GRACE_MS_DEFAULT / 1000;
    for (const [name, s] of taskflowServices) {
      expect({ name, seconds: durationSeconds(s.stop_grace_period ?? "10s") >= drainSeconds + 10 }).toEqual({ name, seconds: true });
    }
  });

  test("the scheduler and the coordinator wait for a healthy PostgreSQL with a named volume", () => {
    const pg = compose.services.postgres!;
    expect(pg.healthcheck?.test).toBeDefined();
    expect(pg.volumes).toContain("pgdata:/var/lib/postgresql");
    expect(Object.keys(compose.volumes ?? {})).toContain("pgdata");
    for (const name of ["scheduler", "coordinator"]) {
      expect(compose.services[name]!.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
      expect(serviceEnv(compose.services[name]!).DATABASE_URL).toBe("postgres://taskflow:pw4tests@postgres:5432/taskflow");
    }
  });

  test("addresses: scheduler and coordinator listen on every interface, workers dial the coordinator", () => {
    expect(serviceEnv(compose.services.scheduler!).TASKFLOW_HTTP).toBe("0.0.0.0:8080");
    expect(serviceEnv(compose.services.coordinator!).TASKFLOW_GRPC).toBe("0.0.0.0:50051");
    expect(serviceEnv(compose.services.worker!).TASKFLOW_COORDINATOR).toBe("coordinator:50051");
    expect(serviceEnv(compose.services.nginx!).TASKFLOW_UPSTREAM).toBe("scheduler:8080");
    // gRPC stays on this machine unless opened on purpose; the API only through nginx.
    expect(compose.services.coordinator!.ports).toEqual(["127.0.0.1:50051:50051"]);
    expect(compose.services.scheduler!.ports).toBeUndefined();
    for (const [, s] of taskflowServices) expect(serviceEnv(s).TASKFLOW_LOG_FORMAT).toBe("json");
  });

  test("several workers; certbot only in the tls profile, the DuckDNS updater only in duckdns", () => {
    expect(Number(compose.services.worker!.deploy?.replicas)).toBeGreaterThanOrEqual(2);
    expect(compose.services.certbot!.profiles).toEqual(["tls"]);
    expect(compose.services.duckdns!.profiles).toEqual(["duckdns"]);
    for (const [name, s] of Object.entries(compose.services)) if (name !== "certbot" && name !== "duckdns") expect(s.profiles).toBeUndefined();
  });

  test("the DuckDNS token stays out of compose.yaml and has no default", () => {
    expect(serviceEnv(loadCompose(exampleEnv()).services.duckdns!).DUCKDNS_TOKEN).toBe("");
    expect(serviceEnv(loadCompose(exampleEnv({ DUCKDNS_TOKEN: "tok-9" })).services.duckdns!).DUCKDNS_TOKEN).toBe("tok-9");
  });

  test("every file compose.yaml mounts exists, and nginx's hook is executable (the image skips it otherwise)", () => {
    const sources = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(":")[0]!)
      .filter((src) => src.startsWith("./"));
    expect(sources.length).toBeGreaterThanOrEqual(3);
    for (const src of sources) expect({ src, exists: existsSync(join(ROOT, src)) }).toEqual({ src, exists: true });
    accessSync(join(ROOT, "deploy/nginx/40-taskflow-site.sh"), constants.X_OK);
  });

  test(".env.example names every variable compose.yaml reads", () => {
    const used = new Set([...raw.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!));
    const documented = readFileSync(join(ROOT, ".env.example"), "utf8");
    for (const name of used) expect({ name, documented: new RegExp(`^#? ?${name}=`, "m").test(documented) }).toEqual({ name, documented: true });
  });
});
