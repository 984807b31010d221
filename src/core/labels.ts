/**
 * Labels and selectors (docs/placement.md). A worker advertises labels
 * (`region=eu`, plus automatic `hostname=`, `os=`, `arch=`); a task's selector
 * names the labels a worker must have: equality (`{"region": "eu"}`) or, with the
 * value `*`, mere existence (`{"gpu": "*"}`). A task's own `labels` use the same
 * key and value rules but only describe it; they never decide where it runs.
 *
 * The claim applies the same rule in SQL (db/queries/claim-due-tasks.ts); this is
 * the rule in TypeScript, for validation, the dashboard and fanout planning.
 */

export type Labels = Record<string, string>;

/** Keys: lower-case letters, digits and `_ . - /`, starting with a letter or digit. */
export const LABEL_KEY_PATTERN = "^[a-z0-9][a-z0-9_./-]{0,62}$";
export const LABEL_KEY_MAX_CHARS = 63;
export const LABEL_VALUE_MAX_CHARS = 128;
/** Worker labels, automatic ones included. */
export const WORKER_LABELS_MAX = 64;
/** Pairs in one selector. */
export const SELECTOR_MAX = 16;
/** A task's own labels. */
export const TASK_LABELS_MAX = 32;
/** The selector value that means "has this label, whatever its value". */
export const ANY_VALUE = "*";

const KEY = new RegExp(LABEL_KEY_PATTERN);
// eslint-disable-next-line no-control-regex
const BAD_VALUE = /[\u0000-\u001f\u007f,=]/;

/** Why `key` is not a label key, or null. */
export function labelKeyProblem(key: string): string | null {
  return KEY.test(key) ? null : `label key "${key.slice(0, 64)}" must be 1 to ${LABEL_KEY_MAX_CHARS} characters of a-z, 0-9, _ . - /, starting with a letter or digit`;
}

/** Why `value` is not a label value, or null (no control characters, commas or `=`, so lists stay parseable). */
export function labelValueProblem(value: unknown): string | null {
  if (typeof value !== "string") return "must be a string";
  if (value.length < 1 || value.length > LABEL_VALUE_MAX_CHARS) return `must be 1 to ${LABEL_VALUE_MAX_CHARS} characters`;
  if (BAD_VALUE.test(value)) return "must not contain control characters, commas or =";
  if (!value.isWellFormed()) return "must be valid Unicode";
  return null;
}

/**
 * Every problem of a label map, as [key or "", message]; empty when it is fine.
 * @example labelProblems({ Region: "eu" }, 16) // [["Region", 'label key "Region" must be …']]
 */
export function labelProblems(labels: unknown, max: number): [string, string][] {
  if (typeof labels !== "object" || labels === null || Array.isArray(labels)) return [["", "must be an object of label keys to string values"]];
  const entries = Object.entries(labels);
  const problems: [string, string][] = [];
  if (entries.length > max) problems.push(["", `must have at most ${max} labels (got ${entries.length})`]);
  for (const [k, v] of entries) {
    const problem = labelKeyProblem(k) ?? labelValueProblem(v);
    if (problem) problems.push([k, problem]);
  }
  return problems;
}

/**
 * Parses `k=v,k2=v2` (a flag or env value) into labels; throws with a message naming the bad item.
 * @example parseLabelList("region=eu, disk=ssd") // { region: "eu", disk: "ssd" }
 */
export function parseLabelList(text: string): Labels {
  const labels: Labels = {};
  for (const item of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [key, value] = parsePair(item);
    labels[key] = value;
  }
  return labels;
}

/**
 * One `KEY=VALUE` pair, checked; throws an Error whose message a user can act on.
 * @example parsePair("gpu=*") // ["gpu", "*"]
 */
export function parsePair(item: string): [string, string] {
  const at = item.indexOf("=");
  if (at <= 0) throw new Error(`"${item.slice(0, 64)}" must be KEY=VALUE`);
  const key = item.slice(0, at).trim();
  const value = item.slice(at + 1).trim();
  const problem = labelKeyProblem(key) ?? (labelValueProblem(value) === null ? null : `value of ${key} ${labelValueProblem(value)}`);
  if (problem) throw new Error(problem);
  return [key, value];
}

/**
 * Whether a worker with `labels` may take a task with `selector` (null or empty: any worker).
 * @example selectorMatches({ region: "eu", gpu: "*" }, { region: "eu", gpu: "a100" }) // true
 */
export function selectorMatches(selector: Labels | null | undefined, labels: Labels): boolean {
  if (!selector) return true;
  return Object.entries(selector).every(([k, v]) => Object.hasOwn(labels, k) && (v === ANY_VALUE || labels[k] === v));
}

/**
 * A selector or label map in words, keys sorted.
 * @example describeLabels({ region: "eu", gpu: "*" }) // "gpu=*,region=eu"
 */
export function describeLabels(labels: Labels | null | undefined): string {
  if (!labels) return "";
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(",");
}
