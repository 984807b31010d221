import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bashScript, fishScript, zshScript } from "./completion.ts";

/** Completions bash offers for a command line, from the generated script. */
function bashComplete(words: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "taskflow-completion-"));
  try {
    writeFileSync(join(dir, "c.bash"), bashScript());
    const cword = words.length - 1;
    const script = `source ${dir}/c.bash; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${cword}; _taskflow; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return Bun.spawnSync(["bash", "-c", script], { cwd: dir }).stdout.toString().trim().split("\n").filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("bash: subcommands, their flags, their sub-subcommands and flag choices", () => {
  expect(Bun.spawnSync(["bash", "-n", "-c", bashScript()]).exitCode).toBe(0);
  expect(bashComplete(["taskflow", "s"])).toEqual(["submit", "schedules"]);
  expect(bashComplete(["taskflow", "run", "--on"])).toEqual(["--on-interrupt"]);
  expect(bashComplete(["taskflow", "run", "--on-interrupt", "d"])).toEqual(["detach"]);
  expect(bashComplete(["taskflow", "schedules", "p"])).toEqual(["pause"]);
  expect(bashComplete(["taskflow", "m"])).toEqual(["migrate"]);
});

test("every script names every client command", () => {
  for (const script of [bashScript(), zshScript(), fishScript()]) for (const c of ["run", "submit", "ls", "logs", "wait", "schedules", "workers"]) expect(script).toContain(c);
});
