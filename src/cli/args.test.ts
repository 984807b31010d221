import { expect, test } from "bun:test";
import { boolFlag, durationFlag, parseCommandArgs, parseDuration } from "./args.ts";
import { UsageError } from "./errors.ts";
import { findSpec } from "./spec.ts";

test("durations: units, combinations, bare seconds; anything else is null", () => {
  expect(parseDuration("500ms")).toBe(500);
  expect(parseDuration("2s")).toBe(2000);
  expect(parseDuration("1h30m")).toBe(5_400_000);
  expect(parseDuration("1.5m")).toBe(90_000);
  expect(parseDuration("1d")).toBe(86_400_000);
  expect(parseDuration("30")).toBe(30_000);
  for (const bad of ["", "soon", "5 m", "m5", "-1s", "1y"]) expect(parseDuration(bad)).toBeNull();
});

test("words after -- are the command, never flags", () => {
  const args = parseCommandArgs(findSpec("run")!, ["--queue", "io", "--", "ls", "--queue", "-la"]);
  expect(args.values.queue).toBe("io");
  expect(args.command).toEqual(["ls", "--queue", "-la"]);
  expect(parseCommandArgs(findSpec("run")!, ["-e", "A=1", "-e", "B=2"]).values.env).toEqual(["A=1", "B=2"]);
});

test("mistakes are one-line usage errors naming the flag", () => {
  const fails = (name: string, argv: string[]) => {
    try {
      parseCommandArgs(findSpec(name)!, argv);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
    throw new Error("no error");
  };
  expect(fails("ls", ["--bogus"])).toBe("unknown flag --bogus for ls (see taskflow help ls)");
  expect(boolFlag(parseCommandArgs(findSpec("ls")!, ["--no-schedules"]), "no-schedules")).toBe(true);
  expect(fails("ls", ["--no-schedules=yes"])).toContain("--no-schedules");
  expect(fails("ls", ["--status"])).toBe("--status needs a value (see taskflow help ls)");
  expect(fails("get", ["x", "--", "y"])).toBe("taskflow get takes no command after -- (see taskflow help get)");
  const args = parseCommandArgs(findSpec("wait")!, ["--timeout", "soon"]);
  expect(() => durationFlag(args, "timeout")).toThrow('--timeout="soon" must be a duration such as 500ms, 30s, 5m, 2h or 1h30m');
});
