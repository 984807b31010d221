/**
 * Runs Debian's nginx with taskflow's site (deploy/nginx) in a temp prefix, in the
 * foreground, on free ports: the same templates and the same 40-taskflow-site.sh that
 * the nginx container of compose.yaml runs, with local paths and ports.
 */
import type { Subprocess } from "bun";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { freePort, waitFor } from "../support/processes.ts";
import { ROOT } from "./compose-file.ts";

export const SITE_SCRIPT = join(ROOT, "deploy/nginx/40-taskflow-site.sh");
const SITE_FILES = join(ROOT, "deploy/nginx/taskflow");

/** The nginx executable, or an error that says how to install it. */
export function nginxBinary(): string {
  const found = Bun.which("nginx") ?? ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].find((p) => existsSync(p));
  if (!found) {
    throw new Error("nginx is not installed: `apt-get install -y nginx` (Debian's package; .ci/run installs it when missing)");
  }
  return found;
}

export interface LocalNginxOptions {
  /** HOST:PORT of the scheduler (compose: scheduler:8080). */
  upstream: string;
  /** TASKFLOW_DOMAIN: empty for the plain-HTTP site. */
  domain?: string;
  /** Folder laid out like /etc/letsencrypt (live/DOMAIN/fullchain.pem, privkey.pem). */
  letsencryptDir?: string;
  /** Folder served at /.well-known/acme-challenge/ (compose: the certbot webroot). */
  acmeRoot?: string;
  /** Run 40-taskflow-site.sh's certificate watcher, checking this often (seconds). */
  watchSeconds?: number;
}

export interface LocalNginx {
  httpPort: number;
  httpsPort: number;
  dir: string;
  /** The site file 40-taskflow-site.sh wrote. */
  site(): string;
  output(): string;
  stop(): Promise<void>;
}

/** nginx's own -p/-c/-e arguments for this prefix. */
function prefixArgs(dir: string): string[] {
  return ["-p", `${dir}/`, "-c", join(dir, "nginx.conf"), "-e", "stderr"];
}

/**
 * The main nginx.conf of the official image, reduced: one worker, temp files and the
 * pid in the prefix, and the site in conf.d/ as there.
 */
function mainConfig(dir: string): string {
  const mimeTypes = ["/etc/nginx/mime.types", "/usr/local/nginx/conf/mime.types"].find((p) => existsSync(p));
  // As root, nginx switches its workers to an unprivileged user that must exist.
  const user = process.getuid?.() === 0 ? (readFileSync("/etc/passwd", "utf8").includes("\nwww-data:") ? "user www-data;" : "user root;") : "";
  return `${user}
worker_processes 1;
pid ${dir}/nginx.pid;
events { worker_connections 512; }
http {
    ${mimeTypes ? `include ${mimeTypes};` : ""}
    default_type application/octet-stream;
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/tmp/body;
    proxy_temp_path ${dir}/tmp/proxy;
    fastcgi_temp_path ${dir}/tmp/fastcgi;
    uwsgi_temp_path ${dir}/tmp/uwsgi;
    scgi_temp_path ${dir}/tmp/scgi;
    sendfile on;
    keepalive_timeout 65;
    include conf.d/*.conf;
}
`;
}

/** Environment for 40-taskflow-site.sh, mirroring compose.yaml's nginx service. */
function siteEnv(dir: string, o: LocalNginxOptions, httpPort: number, httpsPort: number): Record<string, string> {
  return {
    PATH: `${dirname(nginxBinary())}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    TASKFLOW_UPSTREAM: o.upstream,
    TASKFLOW_DOMAIN: o.domain ?? "",
    NGINX_RESOLVER: "127.0.0.1",
    NGINX_HTTP_PORT: String(httpPort),
    NGINX_HTTPS_PORT: String(httpsPort),
    NGINX_TEMPLATES: join(dir, "taskflow"),
    NGINX_SITE: join(dir, "conf.d/default.conf"),
    ACME_ROOT: o.acmeRoot ?? join(dir, "acme"),
    LETSENCRYPT_DIR: o.letsencryptDir ?? join(dir, "letsencrypt"),
    CERT_CHECK_SECONDS: String(o.watchSeconds ?? 60),
    NGINX_ARGS: prefixArgs(dir).join(" "),
  };
}

/** Renders the site with 40-taskflow-site.sh and runs `nginx -t` on it; returns nginx's output. */
export function checkSite(o: LocalNginxOptions): { ok: boolean; output: string; site: string } {
  const dir = prepare();
  try {
    const env = siteEnv(dir, o, 8080, 8443);
    const render = Bun.spawnSync(["sh", SITE_SCRIPT, "render"], { env });
    if (render.exitCode !== 0) return { ok: false, output: render.stderr.toString(), site: "" };
    const test = Bun.spawnSync([nginxBinary(), ...prefixArgs(dir), "-t"], { env });
    return { ok: test.exitCode === 0, output: test.stderr.toString(), site: readFileSync(env.NGINX_SITE!, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function prepare(): string {
  const dir = mkdtempSync(join(tmpdir(), "taskflow-nginx-"));
  // nginx's workers run unprivileged: they must reach the prefix.
  chmodSync(dir, 0o755);
  for (const sub of ["conf.d", "tmp", "acme", "letsencrypt"]) mkdirSync(join(dir, sub));
  cpSync(SITE_FILES, join(dir, "taskflow"), { recursive: true });
  writeFileSync(join(dir, "nginx.conf"), mainConfig(dir));
  return dir;
}

/** Starts nginx in the foreground with taskflow's site; resolves once it answers. */
export async function startLocalNginx(o: LocalNginxOptions): Promise<LocalNginx> {
  const nginx = nginxBinary();
  const dir = prepare();
  const httpPort = freePort();
  const httpsPort = freePort();
  const env = siteEnv(dir, o, httpPort, httpsPort);
  let out = "";
  const procs: Subprocess[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) out += decoder.decode(r.value, { stream: true });
  };
  const spawn = (cmd: string[]) => {
    const p = Bun.spawn(cmd, { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    void collect(p.stdout);
    void collect(p.stderr);
    procs.push(p);
    return p;
  };
  const stop = async () => {
    for (const p of procs.reverse()) {
      p.kill("SIGTERM");
      await Promise.race([p.exited, Bun.sleep(3000)]);
      p.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // `watch` renders first, then polls the certificate; `render` renders once.
    const site = spawn(["sh", SITE_SCRIPT, o.watchSeconds ? "watch" : "render"]);
    if (!o.watchSeconds && (await site.exited) !== 0) throw new Error(`40-taskflow-site.sh failed:\n${out}`);
    await waitFor("the rendered site", () => existsSync(env.NGINX_SITE!), 5000);
    const server = spawn([nginx, ...prefixArgs(dir), "-g", "daemon off;"]);
    await waitFor(
      `nginx on port ${httpPort}`,
      async () => {
        if (server.exitCode !== null) throw new Error(`nginx exited ${server.exitCode}:\n${out}`);
        await fetch(`http://127.0.0.1:${httpPort}/`, { redirect: "manual" });
        return true;
      },
      10_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    httpPort,
    httpsPort,
    dir,
    site: () => readFileSync(env.NGINX_SITE!, "utf8"),
    output: () => out,
    stop,
  };
}
