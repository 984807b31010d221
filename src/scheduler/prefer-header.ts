/**
 * The `Prefer` request header (RFC 7240): what a client would rather get back.
 * Only `return=minimal` is honoured, on the routes that document it; a server may
 * ignore any preference, so an unknown or malformed one is simply not applied, and
 * a route that applies one says so in `Preference-Applied`.
 */

/** The answer header naming the preference a route applied. */
export const PREFERENCE_APPLIED = "preference-applied";
export const RETURN_MINIMAL = "return=minimal";

/**
 * The value of preference `name` in a Prefer header (its `name=value` or
 * `name="value"`), lower-cased; "" for a preference without a value; null when
 * absent. Several headers arrive joined by commas; the first mention of a
 * preference wins (RFC 7240 §2), and its `;` parameters are ignored.
 *
 * @example preference("respond-async, return=minimal", "return") // "minimal"
 * @example preference('RETURN="Minimal"; x=1', "return") // "minimal"
 */
export function preference(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const item of header.split(",")) {
    const pair = item.split(";", 1)[0]!;
    const eq = pair.indexOf("=");
    const token = (eq < 0 ? pair : pair.slice(0, eq)).trim().toLowerCase();
    if (token !== name) continue;
    const value = eq < 0 ? "" : pair.slice(eq + 1).trim();
    return (value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value).toLowerCase();
  }
  return null;
}

/** Whether the request asks for a minimal answer (`Prefer: return=minimal`). */
export function prefersMinimal(request: Request): boolean {
  return preference(request.headers.get("prefer"), "return") === "minimal";
}
