/** Comparing secrets (the shared token) without leaking them through timing. */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";

/** Per-process key for comparing secrets as fixed-length digests (no length leak, no early exit). */
const COMPARE_KEY = randomBytes(32);

/**
 * Compares two secrets in constant time, whatever their lengths. An empty
 * `expected` never matches: fail closed when no token is configured.
 * @example tokensEqual(given, config.token) // true only for the exact token
 */
export function tokensEqual(given: string, expected: string): boolean {
  if (!expected) return false;
  const a = createHmac("sha256", COMPARE_KEY).update(given).digest();
  const b = createHmac("sha256", COMPARE_KEY).update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * A token kept in a file (--token-file and its kin): the file's one line, trimmed.
 * Throws an Error saying what is wrong ("cannot be read: ENOENT", "is empty", …);
 * callers put the flag's name in front.
 */
export function readSecretFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`cannot be read: ${(err as { code?: string }).code ?? (err as Error).message}`);
  }
  const secret = text.trim();
  if (secret === "") throw new Error("is empty");
  if (/\s/.test(secret)) throw new Error("must hold the token alone on one line");
  return secret;
}
