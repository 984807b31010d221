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
