/**
 * The CLI's two kinds of failure, each printed as one line: a UsageError (the
 * command line itself is wrong: exit 2) and a CliError (the server said no or
 * could not be reached: exit 1 unless told otherwise).
 */
export class UsageError extends Error {
  override name = "UsageError";
  readonly exitCode = 2;
}

export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
