/**
 * Every GET route under /api accepts exactly the query parameters its OpenAPI
 * `detail.parameters` documents (openapi/route-docs.ts:queryParameters): anything
 * else is a 422 naming it, as unknown body fields are. A misspelt filter
 * (`?search=x`, `?schedule=`) would otherwise answer every task and look right.
 * The documentation is the list, so the two cannot drift apart.
 */
import { Elysia } from "elysia";
import { ValidationError } from "../core/errors.ts";

interface DocumentedRoute {
  method: string;
  path: string;
  hooks?: { detail?: { parameters?: { name: string; in: string }[] } };
}

/** Checks queries against the routes `routes()` returns (read at the first request, when every route is added). */
export function knownQueryParameters(routes: () => readonly DocumentedRoute[]) {
  let allowed: Map<string, Set<string>> | null = null;
  return new Elysia({ name: "known-query" }).onBeforeHandle({ as: "global" }, ({ request, route }) => {
    if (request.method !== "GET" || !route.startsWith("/api/")) return;
    const q = request.url.indexOf("?");
    if (q < 0) return;
    allowed ??= documentedQueries(routes());
    const known = allowed.get(route) ?? new Set<string>();
    const unknown = [...new Set(new URLSearchParams(request.url.slice(q + 1)).keys())].filter((name) => !known.has(name));
    if (unknown.length === 0) return;
    const hint = known.size > 0 ? `; this route takes ${[...known].join(", ")}` : "; this route takes none";
    throw new ValidationError(
      "the query has unknown parameters",
      unknown.map((name) => ({ path: `/${name}`, message: `is not a query parameter${hint}` })),
    );
  });
}

/** GET route path → the names of its documented query parameters. */
function documentedQueries(routes: readonly DocumentedRoute[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of routes) {
    if (r.method !== "GET") continue;
    out.set(r.path, new Set((r.hooks?.detail?.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name)));
  }
  return out;
}
