/**
 * Fail closed, as the real executable starts: an empty or blank token is no
 * token, so a network bind without one refuses to start (exit 2, one line saying
 * how to fix it) unless --insecure says the operator means it.
 */
import { expect, test } from "bun:test";
import { freePort, startTaskflow } from "../support/processes.ts";

const cases: [string, string[], Record<string, string>][] = [
  ["no token", ["--http=0.0.0.0:PORT"], {}],
  ["an empty --token", ["--http=0.0.0.0:PORT", "--token="], {}],
  ["a blank TASKFLOW_TOKEN", ["--http=0.0.0.0:PORT"], { TASKFLOW_TOKEN: "   " }],
  ["an empty token and a network gRPC bind", ["--grpc=0.0.0.0:PORT"], { TASKFLOW_TOKEN: "" }],
];

test.each(cases)("%s on a network address: exit 2 with one line naming --token and --insecure", async (_name, flags, env) => {
  const p = startTaskflow(["--role=all", "--data-dir=memory://", ...flags.map((f) => f.replace("PORT", String(freePort())))], { env });
  expect(await p.exited).toBe(2);
  const lines = p.output().trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/not a loopback address: set --token \(TASKFLOW_TOKEN\).*or pass --insecure/);
});
