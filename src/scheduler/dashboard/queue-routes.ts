/** The dashboard's queues page and its pause and resume posts (the API's own functions, queues/routes.ts). */
import { Elysia } from "elysia";
import { NotFoundError } from "../../core/errors.ts";
import type { Logger } from "../../log/logger.ts";
import { QueuesPage } from "../../../views/pages/queues.tsx";
import { queueList, setPaused } from "../queues/routes.ts";
import type { DashboardContext } from "./dashboard-context.ts";
import { htmlPage, seeOther } from "./html-response.ts";
import { notFoundPage } from "./page-routes.ts";

const hide = { detail: { hide: true } };
const post = { parse: "none" as const, detail: { hide: true } };

export function queueDashboardRoutes(ctx: DashboardContext, log: Logger) {
  const set = async (name: string, paused: boolean) => {
    try {
      await setPaused(ctx.db, log, name, paused);
    } catch (err) {
      if (err instanceof NotFoundError) return notFoundPage(ctx, err.message);
      throw err;
    }
    return seeOther(`/queues#queue-${name}`);
  };
  return new Elysia()
    .get("/queues", async () => htmlPage(QueuesPage({ queues: await queueList(ctx.db), now: new Date(), ...ctx.chrome }) as string), hide)
    .post("/queues/:name/pause", ({ params }) => set(params.name, true), post)
    .post("/queues/:name/resume", ({ params }) => set(params.name, false), post);
}
