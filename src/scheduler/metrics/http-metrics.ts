/**
 * Counts and times every HTTP answer by method, route template and status. It
 * wraps the whole request handler, so answers given before routing (401 from the
 * auth guard, 413 from the body limit) are counted too. Routes are labelled by
 * their template ("/api/tasks/:id"), never the raw path, and unknown paths as
 * "unmatched", so a scanner cannot blow up the number of series.
 */
import type { AnyElysia } from "elysia";
import type { Instruments } from "./instruments.ts";

export const UNMATCHED_ROUTE = "unmatched";

/** Plugin: `app.use(httpMetrics(instruments))`, early, on the root app (it reads the root's routes). */
export function httpMetrics(m: Instruments) {
  return (app: AnyElysia) => {
    const routeOf = routeMatcher(() => app.routes);
    return app.wrap((handle: Function) => async (request: Request) => {
      const started = performance.now();
      const response: Response = await handle(request);
      const labels = { method: request.method, route: routeOf(request.method, new URL(request.url).pathname), status: String(response?.status ?? 500) };
      m.httpRequests.inc(labels);
      m.httpDuration.observe(labels, (performance.now() - started) / 1000);
      return response;
    });
  };
}

interface Compiled {
  method: string;
  template: string;
  re: RegExp | null;
}

/**
 * Finds the route template a method and path belong to, static routes before
 * parametrised ones. Recompiled whenever the app gains routes.
 * @example routeMatcher(() => app.routes)("GET", "/api/tasks/0b7…") // "/api/tasks/:id"
 */
export function routeMatcher(routes: () => { method: string; path: string }[]): (method: string, path: string) => string {
  let seen = -1;
  let exact = new Map<string, string>();
  let dynamic: Compiled[] = [];
  const compile = () => {
    const list = routes();
    if (list.length === seen) return;
    seen = list.length;
    exact = new Map();
    dynamic = [];
    for (const r of list) {
      if (!/[:*]/.test(r.path)) exact.set(`${r.method} ${r.path}`, r.path);
      else dynamic.push({ method: r.method, template: r.path, re: templateRegExp(r.path) });
    }
  };
  return (method, path) => {
    compile();
    const m = method === "HEAD" ? "GET" : method;
    const hit = exact.get(`${m} ${path}`) ?? exact.get(`ALL ${path}`);
    if (hit) return hit;
    for (const d of dynamic) if ((d.method === m || d.method === "ALL") && d.re?.test(path)) return d.template;
    return UNMATCHED_ROUTE;
  };
}

function templateRegExp(template: string): RegExp {
  const source = template
    .split("/")
    .map((part) => (part === "*" ? ".*" : part.startsWith(":") ? (part.endsWith("?") ? "[^/]*" : "[^/]+") : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}$`);
}
