/**
 * The queue API (docs/flow-control.md): list queues with their backlog and the
 * workers serving them; pause and resume one. A pause answers once no claim can
 * pick the queue's tasks any more (db/queries/set-queue-paused.ts).
 */
import { Elysia } from "elysia";
import { isQueueName } from "../../core/queue-name.ts";
import { NotFoundError } from "../../core/errors.ts";
import type { Db } from "../../db/client.ts";
import type { Logger } from "../../log/logger.ts";
import { countLiveTasks, type QueueGauges } from "../../db/queries/count-live-tasks.ts";
import { listQueues, type QueueServing } from "../../db/queries/list-queues.ts";
import { setQueuePaused } from "../../db/queries/set-queue-paused.ts";
import { errorAnswer, jsonAnswer } from "../openapi/route-docs.ts";
import { QueueJsonSchema, QueueListJsonSchema, type QueueJson } from "./model.ts";

const tags = ["queues"];
const parse = "none" as const;

/** Every queue, with its paused flag, live task counts, lag and serving workers. */
export async function queueList(db: Db): Promise<QueueJson[]> {
  const [serving, gauges] = await Promise.all([listQueues(db), countLiveTasks(db)]);
  const byName = new Map(gauges.map((g) => [g.queue, g]));
  const names = [...new Set([...serving.map((s) => s.name), ...byName.keys()])].sort();
  const servingByName = new Map(serving.map((s) => [s.name, s]));
  return names.map((name) => queueJson(name, servingByName.get(name), byName.get(name)));
}

function queueJson(name: string, s: QueueServing | undefined, g: QueueGauges | undefined): QueueJson {
  return {
    name,
    paused: s?.paused ?? false,
    paused_at: s?.pausedAt?.toISOString() ?? null,
    counts: g?.counts ?? { created: 0, scheduled: 0, picked: 0, running: 0 },
    due: g?.due ?? 0,
    future: g ? g.counts.scheduled - g.due : 0,
    lag_seconds: g?.lagSeconds ?? 0,
    workers: s?.workers ?? 0,
    slots: s?.slots ?? 0,
    busy: s?.busy ?? 0,
  };
}

/** Pauses or resumes queue `name` and answers its state; a name no queue could have is a 404. */
export async function setPaused(db: Db, log: Logger, name: string, paused: boolean): Promise<QueueJson> {
  if (!isQueueName(name)) throw new NotFoundError(`no queue named ${name}: names are 1 to 64 characters of a-z, 0-9, _ and -`);
  await setQueuePaused(db, name, paused);
  log.info(paused ? "queue {queue} paused" : "queue {queue} resumed", { queue: name });
  return (await queueList(db)).find((q) => q.name === name)!;
}

export function queueRoutes(db: Db, log: Logger) {
  const answer = (what: string) => ({ 200: jsonAnswer(what, QueueJsonSchema), 404: errorAnswer("not a queue name") });
  return new Elysia({ name: "queues", prefix: "/api/queues" })
    .get("", async () => ({ queues: await queueList(db) }), {
      detail: { summary: "Queues: paused or not, unfinished tasks, lag, workers serving each", tags, responses: { 200: jsonAnswer("the queues", QueueListJsonSchema) } },
    })
    .post("/:name/pause", ({ params }) => setPaused(db, log, params.name, true), {
      parse,
      detail: { summary: "Pause a queue: its tasks are not claimed until resumed (running ones finish)", tags, responses: answer("the queue, paused") },
    })
    .post("/:name/resume", ({ params }) => setPaused(db, log, params.name, false), {
      parse,
      detail: { summary: "Resume a paused queue", tags, responses: answer("the queue, resumed") },
    });
}
