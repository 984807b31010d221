/** `taskflow cancel ID...` and `taskflow retry ID...`: one line per task; exit 1 if any was refused. */
import type { TaskJson } from "../api-types.ts";
import { UsageError } from "../errors.ts";
import { resolveTaskId, shortId } from "../ids.ts";
import { statusStyle } from "../output.ts";
import type { CommandContext, CommandModule } from "../spec.ts";

function action(verb: "cancel" | "retry", done: string): CommandModule {
  return {
    async run({ args, output, api: connect }: CommandContext): Promise<number> {
      if (args.positionals.length === 0) throw new UsageError(`taskflow ${verb} takes one or more task IDs (see taskflow help ${verb})`);
      const api = connect();
      let failed = 0;
      // One at a time, in the order given; a refusal (finished already, not found) does not stop the rest.
      for (const given of args.positionals) {
        try {
          const t = await api.post<TaskJson>(`/api/tasks/${await resolveTaskId(api, given)}/${verb}`);
          output.out(`${shortId(t.id)}  ${done}  ${output.paint(statusStyle(t.status), t.status)}  ${t.name}\n`);
        } catch (err) {
          if (err instanceof UsageError) throw err;
          failed++;
          output.err(`taskflow: ${given}: ${err instanceof Error ? err.message : String(err)}\n`);
        }
      }
      return failed > 0 ? 1 : 0;
    },
  };
}

export const cancel = action("cancel", "cancelled");
export const retry = action("retry", "retried");
