import { expect, test } from "bun:test";
import { requestPath } from "./request-path.ts";

test("the path without query or fragment, whatever the host says", () => {
  expect(requestPath("http://h:8080/api/tasks?limit=5")).toBe("/api/tasks");
  expect(requestPath("http://a b/live/tasks#x")).toBe("/live/tasks");
  expect(requestPath("http://h")).toBe("/");
});
