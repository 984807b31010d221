/** For the security tests: the scheduler's one test harness with a chosen config, and request helpers. */
import type { Backend } from "../support/databases.ts";
import { SchedulerTestApp } from "../support/scheduler-app.ts";

export const TOKEN = "tf-test-token-0123456789abcdef";

export type SecuredApp = SchedulerTestApp;

/** `flags` as on the command line, e.g. ["--token=…"]; the feed is started so /api/events works. */
export function openSecuredApp(flags: string[], backend: Backend = "pglite"): Promise<SecuredApp> {
  return SchedulerTestApp.open(backend, flags);
}

/** A concrete path for a route template: params become a random UUID, wildcards a file name. */
export function concretePath(template: string): string {
  return template.replace(/:[^/]+/g, crypto.randomUUID()).replace(/\*/g, "x.txt");
}

/** Reads a response to the end, or cancels it when it is a stream (SSE) so nothing hangs. */
export async function drain(res: Response): Promise<string> {
  if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    await res.body?.cancel();
    return "";
  }
  return res.text();
}

export interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/**
 * Sends `text` as is over a TCP connection to 127.0.0.1:`port` and reads the
 * answer until the server closes: for requests fetch() refuses to send (bad Host headers).
 */
export async function rawHttp(port: number, text: string, timeoutMs = 5000): Promise<RawAnswer> {
  const { connect } = await import("node:net");
  const raw = await new Promise<string>((resolve, reject) => {
    let buf = "";
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    socket.setEncoding("latin1");
    socket.on("data", (d) => (buf += d));
    socket.on("close", () => resolve(buf));
    socket.on("error", reject);
    setTimeout(() => {
      socket.destroy();
      resolve(buf);
    }, timeoutMs);
  });
  const split = raw.indexOf("\r\n\r\n");
  const head = split < 0 ? raw : raw.slice(0, split);
  return { status: Number(head.match(/^HTTP\/1\.[01] (\d{3})/)?.[1] ?? 0), head, body: split < 0 ? "" : raw.slice(split + 4) };
}

/** A GET (or `method` with a JSON body) with the given Host header, closing the connection after the answer. */
export function rawRequest(port: number, host: string, path: string, method = "GET", json?: string): Promise<RawAnswer> {
  const body = json ?? "";
  const headers = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, "Connection: close"];
  if (json !== undefined) headers.push("Content-Type: application/json", "Sec-Fetch-Site: same-origin", `Content-Length: ${Buffer.byteLength(body)}`);
  return rawHttp(port, `${headers.join("\r\n")}\r\n\r\n${body}`);
}
