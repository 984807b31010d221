/**
 * The environment a task process starts with: the worker's own, minus the
 * worker's secrets. A task's output is stored and shown to every API and
 * dashboard user, so `env` in a command must not print the token or the
 * database password: TASKFLOW_* (the token, the worker token, …), DATABASE_URL
 * and libpq's PG* variables (PGPASSWORD, PGHOST, …) are removed, unless the
 * operator names them in --task-env-passthrough. The task's own `env` and the
 * attempt variables (TASKFLOW_TASK_ID, …) are added on top by the caller.
 */

/** Variable names a task never inherits from the worker unless passed through. */
export function isWorkerSecretName(name: string): boolean {
  return name.startsWith("TASKFLOW_") || name === "DATABASE_URL" || name.startsWith("PG");
}

/**
 * `source` without the worker's secrets; `passthrough` lists names kept anyway
 * (exact names, or a prefix ending in `*`).
 * @example taskBaseEnv({ PATH: "/bin", TASKFLOW_TOKEN: "s" }) // { PATH: "/bin" }
 */
export function taskBaseEnv(source: Record<string, string | undefined>, passthrough: readonly string[] = []): Record<string, string> {
  const kept = (name: string) => passthrough.some((p) => (p.endsWith("*") ? name.startsWith(p.slice(0, -1)) : name === p));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && (!isWorkerSecretName(name) || kept(name))) env[name] = value;
  }
  return env;
}
