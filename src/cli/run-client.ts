/**
 * The client CLI's entry (`taskflow run|submit|ls|…`): picks the subcommand's
 * spec, parses its flags, loads only that command's module and runs it. Every
 * failure ends as one line on stderr: exit 2 for a bad command line, 1 when
 * the server said no or could not be reached; never a stack trace.
 */
import { parseCommandArgs } from "./args.ts";
import type { ClientCommandName } from "./command-names.ts";
import { connect, type ConnectionFlags } from "./connection.ts";
import { CliError, UsageError } from "./errors.ts";
import { processOutput, type Output } from "./output.ts";
import { commandHelp } from "./help-text.ts";
import { findSpec } from "./spec.ts";
import type { ApiClient } from "./api-client.ts";

export async function runClient(argv: string[], env: Record<string, string | undefined> = process.env, output: Output = processOutput(env)): Promise<number> {
  const name = argv[0] as ClientCommandName;
  const spec = findSpec(name)!;
  try {
    const args = parseCommandArgs(spec, argv.slice(1));
    if (args.values.help) {
      output.out(commandHelp(spec));
      return 0;
    }
    let client: ApiClient | undefined;
    const api = () => (client ??= connect(args.values as ConnectionFlags, env));
    const mod = await spec.load();
    return await mod.run({ args, env, output, api });
  } catch (err) {
    if (err instanceof UsageError || err instanceof CliError) {
      output.err(`taskflow: ${err.message}\n`);
      return err.exitCode;
    }
    output.err(`taskflow: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
