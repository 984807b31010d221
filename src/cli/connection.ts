/**
 * Where the CLI connects and with what token: flags beat env variables, env
 * beats the default. The token is read from --token, --token-file,
 * TASKFLOW_TOKEN or TASKFLOW_TOKEN_FILE (the server's names for it).
 */
import { readSecretFile } from "../core/secrets.ts";
import { ApiClient } from "./api-client.ts";
import { UsageError } from "./errors.ts";

export const URL_DEFAULT = "http://127.0.0.1:8080";

export interface ConnectionFlags {
  url?: string;
  token?: string;
  "token-file"?: string;
}

/** The API client for these flags and this environment; a bad URL or unreadable token file is a UsageError. */
export function connect(flags: ConnectionFlags, env: Record<string, string | undefined>): ApiClient {
  return new ApiClient(baseUrl(flags.url ?? env.TASKFLOW_URL, flags.url !== undefined ? "--url" : "TASKFLOW_URL"), token(flags, env));
}

function baseUrl(given: string | undefined, label: string): string {
  const text = given?.trim() || URL_DEFAULT;
  // A bare host:port is what --http takes on the server side; accept it here too.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`${label}="${text}" is not a URL; e.g. http://127.0.0.1:8080`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`${label}="${text}" must be an http:// or https:// URL`);
  return url.href.replace(/\/+$/, "");
}

function token(flags: ConnectionFlags, env: Record<string, string | undefined>): string | null {
  if (flags.token !== undefined && flags["token-file"] !== undefined) throw new UsageError("give --token or --token-file, not both");
  if (flags.token !== undefined) return nonEmpty(flags.token, "--token");
  if (flags["token-file"] !== undefined) return readToken(flags["token-file"], "--token-file");
  if (env.TASKFLOW_TOKEN) return env.TASKFLOW_TOKEN.trim();
  if (env.TASKFLOW_TOKEN_FILE) return readToken(env.TASKFLOW_TOKEN_FILE, "TASKFLOW_TOKEN_FILE");
  return null;
}

function readToken(path: string, label: string): string {
  try {
    return readSecretFile(path);
  } catch (err) {
    throw new UsageError(`${label} ${path} ${(err as Error).message}`);
  }
}

function nonEmpty(text: string, label: string): string {
  const t = text.trim();
  if (t === "") throw new UsageError(`${label} is empty`);
  return t;
}
