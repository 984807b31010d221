/**
 * The Dockerfile without a Docker engine. Lint rules in the spirit of hadolint (which
 * no registry here offers), then the build itself: the build stage's own commands,
 * replayed here in a copy of exactly the context .dockerignore lets in, and the
 * runtime stage's files, whose binary must pass the smoke test from an empty folder
 * with the image's environment, and whose HEALTHCHECK must judge it right.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { freePort, waitFor } from "../support/processes.ts";
import { ROOT } from "./compose-file.ts";
import { buildContextFiles, execForm, parseDockerfile, parsePairs, stageEnv, type Stage } from "./dockerfile.ts";

const stages = parseDockerfile();
const runtime = stages.at(-1)!;
const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

describe("Dockerfile lint", () => {
  test("two stages: a build stage, then a small runtime base", () => {
    expect(stages.map((s) => s.name)).toEqual(["build", "runtime"]);
    expect(runtime.base).toMatch(/^debian:[a-z]+-slim$/);
  });

  test("base images are pinned to a version, never latest (hadolint DL3006/DL3007)", () => {
    for (const s of stages) {
      expect(s.base).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(s.base).not.toEndWith(":latest");
    }
  });

  test("the build installs with the frozen lockfile and compiles with the project's own build script", () => {
    const runs = of(stages[0]!, "RUN").map((i) => i.args);
    expect(runs.some((r) => / npm ci\b/.test(` ${r.replace(/--mount=\S+/g, "")}`))).toBe(true);
    expect(runs.some((r) => r.includes("npm run build"))).toBe(true);
    expect(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.build).toContain("bun build --compile");
    expect(of(stages[0]!, "COPY")[0]!.args).toBe("package.json package-lock.json ./");
  });

  test("the runtime holds only the executable and the healthcheck script", () => {
    const copies = of(runtime, "COPY").map((i) => i.args);
    expect(copies).toEqual(["--from=build /src/taskflow /usr/local/bin/taskflow", "--chmod=0755 deploy/healthcheck.sh /usr/local/bin/taskflow-healthcheck"]);
  });

  test("runs as a non-root user, by number (hadolint DL3002)", () => {
    const user = of(runtime, "USER").at(-1)!.args;
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
  });

  test("ENTRYPOINT is the binary in exec form, so SIGTERM reaches taskflow (hadolint DL3025)", () => {
    expect(execForm(of(runtime, "ENTRYPOINT").at(-1)!.args)).toEqual(["taskflow"]);
  });

  test("no CMD flags: compose picks each service's role with TASKFLOW_ROLE, which a flag would beat", () => {
    for (const cmd of of(runtime, "CMD")) expect(cmd.args).not.toContain("--");
  });

  test("HEALTHCHECK in exec form, with a timeout and a start period", () => {
    const hc = of(runtime, "HEALTHCHECK").at(-1)!.args;
    expect(hc).toMatch(/--timeout=\d+s/);
    expect(hc).toMatch(/--start-period=\d+s/);
    expect(execForm(hc.replace(/^(--\S+\s+)*CMD\s+/, ""))).toEqual(["taskflow-healthcheck"]);
  });

  test("OCI labels", () => {
    const labels = Object.assign({}, ...of(runtime, "LABEL").map((i) => parsePairs(i.args))) as Record<string, string>;
    for (const key of ["title", "description", "licenses", "version", "revision"]) expect(labels[`org.opencontainers.image.${key}`]).toBeTruthy();
  });

  test("listens on every interface inside the container, without a token baked in", () => {
    const env = stageEnv(runtime);
    expect(env.TASKFLOW_HTTP).toBe("0.0.0.0:8080");
    expect(env.TASKFLOW_GRPC).toBe("0.0.0.0:50051");
    expect(Object.keys(env).filter((k) => /TOKEN|PASSWORD|SECRET|INSECURE/.test(k))).toEqual([]);
    expect(of(runtime, "ARG").map((i) => i.args).filter((a) => /TOKEN|PASSWORD|SECRET/.test(a))).toEqual([]);
  });

  test("no ADD, no cd in RUN, apt-get only the careful way (hadolint DL3020, DL3003, DL3008/9/15)", () => {
    for (const s of stages) {
      expect(of(s, "ADD")).toEqual([]);
      for (const run of of(s, "RUN").map((i) => i.args)) {
        expect(run).not.toMatch(/(^|&&|;)\s*cd\s/);
        if (/apt-get install/.test(run)) {
          expect(run).toContain("--no-install-recommends");
          expect(run).toContain("rm -rf /var/lib/apt/lists/*");
        }
        // A pipe would hide a failing command without pipefail (DL4006).
        expect(run.replace(/\|\|/g, "")).not.toContain("|");
      }
    }
  });

  test(".dockerignore lets in the sources and nothing else", () => {
    const files = buildContextFiles();
    expect(files).toContain("package-lock.json");
    expect(files).toContain("src/main.ts");
    expect(files).toContain("deploy/healthcheck.sh");
    const outside = files.filter((f) => !/^(src|views|drizzle|proto|types|patches)\//.test(f));
    expect(outside.sort()).toEqual(["bunfig.toml", "deploy/healthcheck.sh", "package-lock.json", "package.json", "tsconfig.json"]);
    expect(files.filter((f) => /(^|\/)(node_modules|\.git|\.env)(\/|$)|\.test\.ts$/.test(f))).toEqual([]);
  });
});

describe("the Dockerfile's build, replayed here", () => {
  let work: string;
  let binary: string;
  let healthcheck: string;
  let imageEnv: Record<string, string>;

  /**
   * Replays one stage into `root` (its filesystem): WORKDIR, ENV, COPY from the
   * context or from a replayed stage, and RUN (with BuildKit's --mount flags dropped).
   * RUN in the runtime stage (useradd) would change this machine and is not replayed.
   */
  function replay(stage: Stage, root: string, context: string, built: Record<string, string>, runCommands: boolean): void {
    let workdir = "/";
    const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" };
    const at = (p: string) => join(root, posix.resolve(workdir, p));
    for (const { keyword, args, line } of stage.instructions) {
      if (keyword === "WORKDIR") {
        workdir = posix.resolve(workdir, args);
        mkdirSync(at("."), { recursive: true });
      } else if (keyword === "ENV") {
        Object.assign(env, parsePairs(args));
      } else if (keyword === "COPY") {
        const words = args.split(/\s+/);
        const flags = Object.fromEntries(words.filter((w) => w.startsWith("--")).map((w) => w.slice(2).split("=") as [string, string]));
        const [dest, ...sources] = words.filter((w) => !w.startsWith("--")).reverse();
        for (const src of sources.reverse()) {
          const from = flags.from ? join(built[flags.from]!, src) : join(context, src);
          const to = dest!.endsWith("/") || sources.length > 1 ? join(at(dest!), src === "." ? "" : src.split("/").pop()!) : at(dest!);
          mkdirSync(dirname(to), { recursive: true });
          cpSync(from, to, { recursive: true });
          if (flags.chmod) chmodSync(to, Number.parseInt(flags.chmod, 8));
        }
      } else if (keyword === "RUN" && runCommands) {
        const command = args.replace(/^(--\S+\s+)+/, "");
        const r = Bun.spawnSync(["sh", "-c", command], { cwd: at("."), env, stdout: "pipe", stderr: "pipe" });
        if (r.exitCode !== 0) throw new Error(`Dockerfile line ${line}: \`${command}\` exited ${r.exitCode}:\n${r.stdout}\n${r.stderr}`);
      }
    }
  }

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "taskflow-docker-build-"));
    const context = join(work, "context");
    for (const f of buildContextFiles()) {
      mkdirSync(dirname(join(context, f)), { recursive: true });
      cpSync(join(ROOT, f), join(context, f));
    }
    const built: Record<string, string> = {};
    for (const stage of stages) {
      const root = join(work, `stage-${stage.name}`);
      mkdirSync(root);
      replay(stage, root, context, built, stage !== runtime);
      built[stage.name!] = root;
    }
    binary = join(built.runtime!, "usr/local/bin/taskflow");
    healthcheck = join(built.runtime!, "usr/local/bin/taskflow-healthcheck");
    imageEnv = stageEnv(runtime);
  }, 240_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** Runs the image's binary from an empty folder with the image's environment (+ overrides). */
  function runImage(args: string[], env: Record<string, string> = {}) {
    const cwd = mkdtempSync(join(work, "empty-"));
    return Bun.spawn([binary, ...args], {
      cwd,
      env: { PATH: `${dirname(binary)}:/usr/bin:/bin`, HOME: cwd, ...imageEnv, ...env },
      stdout: "pipe",
      stderr: "pipe",
    });
  }

  test("the binary needs nothing but glibc from the base image", () => {
    const ldd = Bun.spawnSync(["ldd", binary]).stdout.toString();
    const libs = [...ldd.matchAll(/^\s*(\S+)/gm)].map((m) => m[1]!.replace(/\.so.*$/, ""));
    expect(libs).toContain("libc");
    const glibc = ["linux-vdso", "libc", "libm", "libdl", "libpthread", "librt", "/lib64/ld-linux-x86-64", "/lib/ld-linux-aarch64", "ld-linux-x86-64", "ld-linux-aarch64"];
    expect(libs.filter((l) => !glibc.includes(l))).toEqual([]);
  });

  test("`taskflow version` with the environment compose gives (a token set)", async () => {
    const version = runImage(["version"], { TASKFLOW_TOKEN: "t0ken-0123456789abcdef" });
    expect(await version.exited).toBe(0);
    expect(await new Response(version.stdout).text()).toBe(`taskflow ${pkg.version}\n`);
  });

  // `version` binds nothing, so the image's TASKFLOW_HTTP=0.0.0.0:8080 needs no token for it.
  test("`docker run taskflow version` works without a token", async () => {
    const version = runImage(["version"]);
    expect(await version.exited).toBe(0);
  });

  test("the image's default command without a token refuses to start, in one line", async () => {
    // The image listens on 0.0.0.0: without TASKFLOW_TOKEN it must refuse.
    const open = runImage([]);
    expect(await open.exited).toBe(2);
    const err = (await new Response(open.stderr).text()).trim();
    expect(err.split("\n")).toHaveLength(1);
    expect(err).toContain("TASKFLOW_HTTP=0.0.0.0:8080 is not a loopback address: set --token");
  });

  test("the default (all roles) serves /readyz, the HEALTHCHECK passes, and SIGTERM exits 0", async () => {
    const http = freePort();
    const grpc = freePort();
    const data = mkdtempSync(join(work, "data-"));
    const env = { TASKFLOW_TOKEN: "t0ken-0123456789abcdef", TASKFLOW_DATA_DIR: data, TASKFLOW_HTTP: "127.0.0.1:1", TASKFLOW_GRPC: `127.0.0.1:${grpc}` };
    // Flags beat env: the healthcheck must find the port in the flags, not in TASKFLOW_HTTP.
    const p = runImage([`--http=127.0.0.1:${http}`], env);
    const check = () =>
      Bun.spawnSync([healthcheck], { env: { PATH: "/usr/bin:/bin", ...imageEnv, ...env, TASKFLOW_HEALTHCHECK_PID: String(p.pid) } });
    try {
      await waitReadyWithToken(`http://127.0.0.1:${http}`, p, env.TASKFLOW_TOKEN);
      const ok = check();
      expect({ exitCode: ok.exitCode, stdout: ok.stdout.toString() }).toEqual({
        exitCode: 0,
        stdout: `scheduler: /healthz 200\ncoordinator: gRPC port ${grpc} accepts connections\n`,
      });
      p.kill("SIGTERM");
      expect(await p.exited).toBe(0);
      // Nothing listens any more: unhealthy.
      const down = check();
      expect(down.exitCode).toBe(1);
    } finally {
      p.kill("SIGKILL");
    }
  }, 120_000);

  test("the HEALTHCHECK of a worker alone passes without any port", () => {
    const r = Bun.spawnSync([healthcheck], { env: { PATH: "/usr/bin:/bin", ...imageEnv, TASKFLOW_ROLE: "worker", TASKFLOW_HEALTHCHECK_PID: "0" } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe("");
  });

  /** Waits for /readyz (with the token) to answer 200, or fails when taskflow exits. */
  async function waitReadyWithToken(base: string, p: ReturnType<typeof runImage>, token: string) {
    await waitFor(`${base}/readyz`, async () => {
      if (p.exitCode !== null) return "exited";
      return (await fetch(`${base}/readyz`, { headers: { authorization: `Bearer ${token}` } })).status === 200;
      // A bound for a start that hangs, not a time limit: a first start from an empty data folder took over 20 s at load 22.
    }, 60_000);
    if (p.exitCode !== null) throw new Error(`taskflow exited ${p.exitCode}: ${await new Response(p.stderr).text()}`);
  }
});
