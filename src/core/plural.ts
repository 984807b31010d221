/** Counted nouns for log lines and messages: "1 slot", "2 slots", never "2 slot(s)". */

/**
 * `n` and the noun in the right number; `many` for irregular plurals.
 * @example
 * plural(1, "attempt"); // "1 attempt"
 * plural(3, "process group"); // "3 process groups"
 */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
