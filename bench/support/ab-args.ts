/**
 * The command line of the A/B scripts (bench/ab-*.ts): the two binaries (--a, --b), the
 * rounds, the PostgreSQL server, and each script's own options. Without both binaries it
 * prints the script's usage and exits 2.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

const COMMON = {
  a: { type: "string" },
  b: { type: "string" },
  rounds: { type: "string", default: "3" },
  "database-url": {
    type: "string",
    default: process.env.BENCH_DATABASE_URL ?? process.env.TASKFLOW_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  },
} as const;

export function parseAbArgs<O extends NonNullable<ParseArgsConfig["options"]>>(usage: string, own: O) {
  const { values } = parseArgs<{ options: typeof COMMON & O }>({ options: { ...COMMON, ...own } });
  const common = values as unknown as { a?: string; b?: string; rounds: string; "database-url": string };
  if (!common.a || !common.b) {
    process.stderr.write(`usage: ${usage}\n`);
    process.exit(2);
  }
  return { ...values, a: common.a, b: common.b, rounds: Number(common.rounds), databaseUrl: common["database-url"] };
}

/** Which binary runs first in round `round`: the order turns each round, so neither always follows the other. */
export function alternated<T>(round: number, a: T, b: T): [T, T] {
  return round % 2 === 0 ? [a, b] : [b, a];
}
