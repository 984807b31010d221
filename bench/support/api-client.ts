/** Submitting tasks over taskflow's HTTP API, as any client would. */

export interface TaskBody {
  name: string;
  command: string;
  run_at?: string;
  [key: string]: unknown;
}

const JSON_HEADERS = { "content-type": "application/json" };

/** POST /api/tasks; returns the new task's id. */
export async function submitOne(baseUrl: string, body: TaskBody): Promise<string> {
  const r = await fetch(`${baseUrl}/api/tasks`, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
  if (r.status !== 201) throw new Error(`POST /api/tasks answered ${r.status}: ${await r.text()}`);
  return ((await r.json()) as { id: string }).id;
}

/** What a batch asks back: every task in full (the API's default) or only their ids (`Prefer: return=minimal`). */
export type BatchAnswer = "full" | "ids";
const LEAN_HEADERS = { ...JSON_HEADERS, prefer: "return=minimal" };

/**
 * POST /api/tasks/batch; returns the ids in order. Asks for the ids alone unless `answer`
 * is "full" (a binary from before the lean answer ignores the preference: both shapes are read).
 */
export async function submitBatch(baseUrl: string, tasks: TaskBody[], answer: BatchAnswer = "ids"): Promise<string[]> {
  const headers = answer === "ids" ? LEAN_HEADERS : JSON_HEADERS;
  const r = await fetch(`${baseUrl}/api/tasks/batch`, { method: "POST", headers, body: JSON.stringify({ tasks }) });
  if (r.status !== 201) throw new Error(`POST /api/tasks/batch answered ${r.status}: ${(await r.text()).slice(0, 500)}`);
  const body = (await r.json()) as { ids: string[] } | { tasks: { id: string }[] };
  return "ids" in body ? body.ids : body.tasks.map((t) => t.id);
}

/** Submits `bodies` through the batch route, `size` per request, `clients` requests at a time. */
export async function submitInBatches(baseUrl: string, bodies: TaskBody[], size = 1000, clients = 1, answer: BatchAnswer = "ids"): Promise<string[]> {
  const chunks: TaskBody[][] = [];
  for (let i = 0; i < bodies.length; i += size) chunks.push(bodies.slice(i, i + size));
  const ids: string[][] = new Array(chunks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(clients, chunks.length) }, async () => {
      while (next < chunks.length) {
        const i = next++;
        ids[i] = await submitBatch(baseUrl, chunks[i]!, answer);
      }
    }),
  );
  return ids.flat();
}

/** Runs `n` jobs with at most `lanes` in flight. */
export async function inLanes(n: number, lanes: number, job: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, n) }, async () => {
      while (next < n) await job(next++);
    }),
  );
}

/** Wall-clock time in ms since the epoch with sub-millisecond precision (comparable with PostgreSQL's now()). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
