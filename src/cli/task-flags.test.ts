import { expect, test } from "bun:test";
import { parseCommandArgs } from "./args.ts";
import { findSpec } from "./spec.ts";
import { defaultName, shellCommand, taskBody } from "./task-flags.ts";

test("one word is a shell line as given; several are quoted so the command gets exactly them", () => {
  expect(shellCommand(["echo $HOME | wc -c"], "run")).toBe("echo $HOME | wc -c");
  const words = ["sh", "-c", "echo 'it''s'; exit 7", "", "a b", "$x", "plain-1.txt"];
  const line = shellCommand(words, "run");
  // The shell splits the line back into the same words.
  const echoed = Bun.spawnSync(["/bin/sh", "-c", `for w in ${line}; do printf '[%s]' "$w"; done`]).stdout.toString();
  expect(echoed).toBe(words.map((w) => `[${w}]`).join(""));
  expect(() => shellCommand(null, "run")).toThrow("give the command after --, e.g. taskflow run -- echo hello");
});

test("task flags become the API's fields; run defaults to no retries", () => {
  const args = parseCommandArgs(findSpec("run")!, ["-q", "io", "-p", "5", "--backoff", "2s", "--timeout", "1h", "-e", "A=1=2", "--in", "30s", "--idempotency-key", "k"]);
  expect(taskBody(args, "make test", { retries: 0 })).toEqual({
    name: "make test",
    command: "make test",
    queue: "io",
    priority: 5,
    max_retries: 0,
    backoff_ms: 2000,
    timeout_ms: 3_600_000,
    env: { A: "1=2" },
    delay_ms: 30_000,
    idempotency_key: "k",
  });
  const both = parseCommandArgs(findSpec("submit")!, ["--at", "2030-01-01T00:00:00Z", "--in", "1s"]);
  expect(() => taskBody(both, "x")).toThrow("give --at or --in, not both");
  expect(() => taskBody(parseCommandArgs(findSpec("submit")!, ["-e", "NOVALUE"]), "x")).toThrow('--env "NOVALUE" must be NAME=VALUE');
  expect(() => taskBody(parseCommandArgs(findSpec("submit")!, ["--retries", "many"]), "x")).toThrow("--retries");
});

test("--label sets labels (what it is), --selector where it runs, --fanout all or N; bad pairs are usage errors", () => {
  const args = parseCommandArgs(findSpec("submit")!, ["--label", "team=db", "--label", "ticket=ops-12", "--selector", "role=db", "--selector", "gpu=*", "--fanout", "all"]);
  expect(taskBody(args, "true")).toMatchObject({ labels: { team: "db", ticket: "ops-12" }, selector: { role: "db", gpu: "*" }, fanout: "all" });
  expect(taskBody(parseCommandArgs(findSpec("run")!, ["--fanout", "3"]), "true")).toMatchObject({ fanout: 3 });
  expect(() => taskBody(parseCommandArgs(findSpec("submit")!, ["--label", "team"]), "x")).toThrow('--label: "team" must be KEY=VALUE');
  expect(() => taskBody(parseCommandArgs(findSpec("submit")!, ["--selector", "Role=db"]), "x")).toThrow("--selector: label key");
  expect(() => taskBody(parseCommandArgs(findSpec("submit")!, ["--fanout", "some"]), "x")).toThrow('--fanout "some" must be all or a number');
});

test("the default name is the command on one line, cut to 80 characters", () => {
  expect(defaultName("echo a\n  && echo b")).toBe("echo a && echo b");
  expect([...defaultName("x".repeat(300))]).toHaveLength(80);
});
