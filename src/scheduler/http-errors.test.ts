import { expect, test } from "bun:test";
import { Elysia, t } from "elysia";
import { roleLogger } from "../log/logger.ts";
import { httpErrors } from "./http-errors.ts";

const app = new Elysia()
  .use(httpErrors(roleLogger("scheduler", "test")))
  .get("/drifted", () => ({ n: "not a number" }) as unknown as { n: number }, { response: { 200: t.Object({ n: t.Number() }) } })
  .get("/checked", ({ query }) => query, { query: t.Object({ n: t.Numeric() }) });

test("an answer that misses its route's response schema is the server's fault: 500, not a 422 blaming the request", async () => {
  const res = await app.handle(new Request("http://localhost/drifted"));
  expect(res.status).toBe(500);
  expect(await res.json()).toEqual({ error: "internal", message: "internal error", details: [] });
});

test("a request that misses its schema is still a 422 naming the field", async () => {
  const res = await app.handle(new Request("http://localhost/checked?n=x"));
  expect(res.status).toBe(422);
  expect((await res.json()).details).toEqual([expect.objectContaining({ path: "/n" })]);
});
