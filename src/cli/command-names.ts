/**
 * The client subcommands and their one-line summaries. main.ts checks the first
 * argument against this list and hands a match to src/cli without loading any
 * server code; `taskflow --help` lists them from here. A new subcommand is one
 * row here and one in spec.ts.
 */
export const CLIENT_COMMANDS = [
  { name: "run", summary: "submit a command, follow its output, exit with its exit code" },
  { name: "submit", summary: "submit a task (or many with --file) and print its id" },
  { name: "ls", summary: "list tasks as a table (--json, --watch)" },
  { name: "get", summary: "show a task: summary, attempts, timeline" },
  { name: "logs", summary: "print a task's output (-f follows it to the end)" },
  { name: "cancel", summary: "cancel tasks (a running attempt is killed)" },
  { name: "retry", summary: "run failed or cancelled tasks again now" },
  { name: "wait", summary: "wait for tasks to finish; exit 0 all completed, 1 any failed, 124 timeout" },
  { name: "schedules", summary: "recurring tasks: ls, add, pause, resume, rm" },
  { name: "workers", summary: "list workers: ls" },
  { name: "completion", summary: "print a shell completion script (bash, zsh, fish)" },
  { name: "help", summary: "help for a command: taskflow help COMMAND" },
] as const;

export type ClientCommandName = (typeof CLIENT_COMMANDS)[number]["name"];

/** True when `arg` (argv's first word) names a client subcommand. */
export function isClientCommand(arg: string | undefined): arg is ClientCommandName {
  return CLIENT_COMMANDS.some((c) => c.name === arg);
}
