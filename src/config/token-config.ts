/**
 * Where a shared secret comes from and whether it is good enough: the flag, its
 * env variable, or a file (`--token-file`, which keeps it out of both `ps` and
 * the environment). A token shorter than TOKEN_MIN_LENGTH is refused, and a
 * process that runs tasks refuses a token on its command line, which every task
 * (and every user of the host) can read in /proc/PID/cmdline: checkArgvSecrets().
 */
import { readSecretFile } from "../core/secrets.ts";
import { ConfigError } from "./config.ts";

/** Shortest accepted token: 16 characters (`openssl rand -hex 32` makes 64). */
export const TOKEN_MIN_LENGTH = 16;

export interface SecretInputs {
  /** The secret's flag name, e.g. "token"; its file flag is NAME-file. */
  name: string;
  env: string;
  /** The value given by flag or env, if any. */
  value: string | undefined;
  /** The NAME-file flag or env value, if any. */
  file: string | undefined;
}

/** The secret, trimmed; null when none is given (blank counts as none). Throws ConfigError with one line. */
export function readSecret(i: SecretInputs): string | null {
  const value = i.value?.trim() || null;
  const file = i.file?.trim() || null;
  if (value !== null && file !== null) throw new ConfigError(`give --${i.name} (${i.env}) or --${i.name}-file, not both`);
  const secret = file !== null ? secretFromFile(i.name, file) : value;
  if (secret !== null && secret.length < TOKEN_MIN_LENGTH) {
    throw new ConfigError(`--${i.name} is too short (${secret.length} characters; at least ${TOKEN_MIN_LENGTH}): make one with \`openssl rand -hex 32\``);
  }
  return secret;
}

function secretFromFile(name: string, path: string): string {
  try {
    return readSecretFile(path);
  } catch (err) {
    throw new ConfigError(`--${name}-file=${path} ${(err as Error).message}`);
  }
}

/** Flags whose value is a secret; a process that runs tasks refuses them on its command line. */
const SECRET_FLAGS = [
  { name: "token", env: "TASKFLOW_TOKEN" },
  { name: "worker-token", env: "TASKFLOW_WORKER_TOKEN" },
];

/**
 * Throws a ConfigError when a process that runs tasks (the worker role) got a
 * secret on its command line. main.ts calls it with the real argv, after parseConfig().
 */
export function checkArgvSecrets(argv: string[], runsTasks: boolean): void {
  if (!runsTasks) return;
  for (const { name, env } of SECRET_FLAGS) {
    const given = argv.some((a) => a === `--${name}` || (a.startsWith(`--${name}=`) && a.slice(name.length + 3).trim() !== ""));
    if (given) {
      throw new ConfigError(`--${name} on the command line is readable by every task this worker runs (/proc/PID/cmdline, ps): set ${env} or --${name}-file=PATH instead`);
    }
  }
}
