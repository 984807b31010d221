/**
 * Reads the Dockerfile and .dockerignore without a Docker engine: instructions by
 * stage (for the lint rules and to replay the build stage's commands here), and the
 * list of files that would go into the build context.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./compose-file.ts";

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
  line: number;
}

export interface Stage {
  name: string | null;
  base: string;
  instructions: Instruction[];
}

/** Instructions grouped by stage (the lines before the first FROM go nowhere but ARG). */
export function parseDockerfile(text = readFileSync(join(ROOT, "Dockerfile"), "utf8")): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    // Continuation lines; comment lines inside a continued instruction are dropped, as Docker does.
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i++;
      const next = lines[i]!;
      if (/^\s*#/.test(next)) continue;
      line = line.replace(/\\\s*$/, " ") + next.trim();
    }
    const m = line.trim().match(/^(\w+)\s+([\s\S]*)$/);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: cannot parse ${JSON.stringify(line)}`);
    const instruction = { keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start + 1 };
    if (instruction.keyword === "FROM") {
      const from = instruction.args.match(/^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i);
      if (!from) throw new Error(`Dockerfile line ${start + 1}: cannot parse FROM ${instruction.args}`);
      stages.push({ base: from[1]!, name: from[2] ?? null, instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** `KEY=value KEY2="value 2"` pairs of an ENV or LABEL instruction. */
export function parsePairs(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    out[m[1]!] = m[2]!.startsWith('"') ? JSON.parse(m[2]!) : m[2]!;
  }
  return out;
}

/** The exec-form array of ENTRYPOINT/CMD/HEALTHCHECK CMD, or null for the shell form. */
export function execForm(args: string): string[] | null {
  try {
    const v = JSON.parse(args);
    return Array.isArray(v) && v.every((s) => typeof s === "string") ? v : null;
  } catch {
    return null;
  }
}

/** The environment a container of `stage` starts with (its ENV lines, in order). */
export function stageEnv(stage: Stage): Record<string, string> {
  return Object.assign({}, ...stage.instructions.filter((i) => i.keyword === "ENV").map((i) => parsePairs(i.args)));
}

/**
 * Paths (relative to the repository, files only) that .dockerignore lets into the
 * build context. Rules apply in order and the last match wins; a rule matching a
 * folder matches everything in it, as in Docker.
 */
export function buildContextFiles(root = ROOT): string[] {
  const rules = readFileSync(join(root, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const include = l.startsWith("!");
      const pattern = (include ? l.slice(1) : l).replace(/^\/+|\/+$/g, "");
      return { include, glob: new Bun.Glob(pattern), pattern };
    });
  const included = (path: string): boolean => {
    const prefixes = path.split("/").map((_, i, parts) => parts.slice(0, i + 1).join("/"));
    let keep = true;
    for (const r of rules) if (prefixes.some((p) => r.glob.match(p))) keep = r.include;
    return keep;
  };
  // A folder that is excluded and that no include rule reaches into is not walked.
  const reachable = (dir: string): boolean =>
    included(dir) || rules.some((r) => r.include && (r.pattern.startsWith(`${dir}/`) || r.pattern.startsWith("**")));
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (reachable(path)) walk(path);
      } else if (included(path)) {
        out.push(path);
      }
    }
  };
  walk("");
  return out.sort();
}
