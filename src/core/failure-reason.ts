/**
 * A failed attempt's reason in one short line, for lists and groups ("why did
 * these fail?"): the error when it says more than the exit code (a lost worker,
 * a timeout, a spawn failure, a cancel), else the last non-empty line of stderr,
 * where programs print their final complaint.
 */

/** Longest reason shown; the attempt's page has the whole output. */
export const FAILURE_REASON_MAX_CHARS = 200;

const EXIT_CODE_ONLY = /^exit code -?\d+$/;

/**
 * @example failureReason("exit code 1", "loading…\nError: disk full\n") // "Error: disk full"
 * @example failureReason("timed out after 30000 ms", "working\n") // "timed out after 30000 ms"
 * @example failureReason(null, null) // null
 */
export function failureReason(error: string | null, stderrLastLine: string | null): string | null {
  const line = lastNonEmptyLine(stderrLastLine ?? "");
  const reason = error !== null && (!EXIT_CODE_ONLY.test(error) || line === null) ? error : (line ?? error);
  return reason === null ? null : truncate(reason.trim());
}

function lastNonEmptyLine(text: string): string | null {
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.trim() !== "") return lines[i]!.trim();
  return null;
}

function truncate(s: string): string {
  const chars = [...s];
  return chars.length <= FAILURE_REASON_MAX_CHARS ? s : `${chars.slice(0, FAILURE_REASON_MAX_CHARS - 1).join("")}…`;
}
