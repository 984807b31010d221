/**
 * Reads compose.yaml the way Compose does, for tests and the local topology: YAML
 * with merge keys, then `${VAR}` interpolation from an env file's values. Only the
 * forms compose.yaml uses are supported (`$$`, `$VAR`, `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "../..");
export const COMPOSE_FILE = join(ROOT, "compose.yaml");

export interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | number | boolean | null>;
  profiles?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  deploy?: { replicas?: number | string };
  ports?: string[];
  volumes?: string[];
  stop_grace_period?: string;
  healthcheck?: Record<string, unknown>;
  init?: boolean;
  [key: string]: unknown;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export class InterpolationError extends Error {
  override name = "InterpolationError";
}

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Replaces Compose variables in one string.
 * @example
 * interpolate("${A:-x}/$B", { B: "y" }) // "x/y"
 */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(VARIABLE, (match, name: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
    if (match === "$$") return "$";
    const key = (name ?? bare)!;
    const value = env[key];
    const unsetOrEmpty = value === undefined || value === "";
    switch (op) {
      case undefined:
        return value ?? "";
      case ":-":
        return unsetOrEmpty ? arg! : value!;
      case "-":
        return value === undefined ? arg! : value;
      case ":?":
        if (unsetOrEmpty) throw new InterpolationError(`${key}: ${arg}`);
        return value!;
      case "?":
        if (value === undefined) throw new InterpolationError(`${key}: ${arg}`);
        return value;
      case ":+":
        return unsetOrEmpty ? "" : arg!;
      case "+":
        return value === undefined ? "" : arg!;
      default:
        throw new InterpolationError(`unsupported interpolation ${match}`);
    }
  });
}

function interpolateDeep(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === "string") return interpolate(value, env);
  if (Array.isArray(value)) return value.map((v) => interpolateDeep(v, env));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, env)]));
  }
  return value;
}

/** compose.yaml as written (merge keys applied, variables left in place). */
export function readComposeRaw(file = COMPOSE_FILE): ComposeFile {
  return Bun.YAML.parse(readFileSync(file, "utf8")) as ComposeFile;
}

/** compose.yaml with its variables filled from `env` (as from an .env file). */
export function loadCompose(env: Record<string, string | undefined>, file = COMPOSE_FILE): ComposeFile {
  return interpolateDeep(readComposeRaw(file), env) as ComposeFile;
}

/** A service's environment as strings (Compose turns numbers and booleans into text). */
export function serviceEnv(service: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, v === null ? "" : String(v)]));
}

/** Seconds in a Compose duration such as `45s`, `1m30s`, `2m`. */
export function durationSeconds(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) throw new Error(`not a Compose duration: ${text}`);
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001 };
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]!]!, 0);
}
