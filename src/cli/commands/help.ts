/** `taskflow help [COMMAND]`: one command's help, or the whole program's. */
import { helpText } from "../../config/flags.ts";
import { UsageError } from "../errors.ts";
import { commandHelp } from "../help-text.ts";
import { findSpec, type CommandContext } from "../spec.ts";

export async function run({ args, output }: CommandContext): Promise<number> {
  const [name, ...extra] = args.positionals;
  if (extra.length > 0) throw new UsageError("taskflow help takes one command name");
  if (name === undefined) {
    output.out(helpText());
    return 0;
  }
  const spec = findSpec(name);
  if (!spec) throw new UsageError(`no command "${name}" (see taskflow --help)`);
  output.out(commandHelp(spec));
  return 0;
}
