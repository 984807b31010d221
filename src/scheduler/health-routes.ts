/** /healthz (the process lives) and /readyz (the database answers and is migrated). */
import { coerceError } from "../core/errors.ts";
import { Type } from "@sinclair/typebox";
import { Elysia } from "elysia";
import type { Db } from "../db/client.ts";
import { migrationsApplied } from "../db/migrate.ts";
import type { DatabaseGate } from "./database-gate.ts";
import { errorAnswer, jsonAnswer } from "./openapi/route-docs.ts";

/** How long /readyz waits for the database before it answers 503. */
const READY_CHECK_TIMEOUT_MS = 2000;

const LiveJsonSchema = Type.Object({ status: Type.Literal("ok") });
const ReadyJsonSchema = Type.Object({ status: Type.Literal("ready") });

export function healthRoutes(db: Db, gate: DatabaseGate) {
  return new Elysia({ name: "health" })
    .get("/healthz", () => ({ status: "ok" }), {
      detail: { summary: "Liveness: 200 while the process lives", tags: ["health"], responses: { 200: jsonAnswer("alive", LiveJsonSchema) } },
    })
    .get(
      "/readyz",
      async ({ set }) => {
        // While the gate knows the database is away, say so at once.
        const problem = gate.down ? "database unavailable" : await readinessProblem(db);
        if (problem === null) return { status: "ready" };
        if (!gate.down) gate.suspect();
        set.status = 503;
        return { error: "not_ready", message: problem, details: [] };
      },
      {
        detail: {
          summary: "Readiness: 200 when the database answers and migrations are applied",
          tags: ["health"],
          responses: { 200: jsonAnswer("ready", ReadyJsonSchema), 503: errorAnswer("not ready: error not_ready, the reason in message") },
        },
      },
    );
}

async function readinessProblem(db: Db): Promise<string | null> {
  let timer: Timer | undefined;
  const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve("database did not answer in time"), READY_CHECK_TIMEOUT_MS)));
  try {
    return await Promise.race([
      migrationsApplied(db).then((ok) => (ok ? null : "migrations are not applied")),
      timeout,
    ]);
  } catch (err) {
    return `database unavailable: ${coerceError(err).message}`;
  } finally {
    clearTimeout(timer);
  }
}
