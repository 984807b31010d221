/**
 * `taskflow run -- COMMAND`: submit, print the command's output as it comes
 * (output-follower.ts), exit with its exit code. Ctrl-C asks whether to cancel
 * the task or detach from it (--on-interrupt decides without asking).
 */
import { createInterface } from "node:readline";
import { ApiError, type ApiClient } from "../api-client.ts";
import { FINAL_STATUSES, type TaskDetailJson, type TaskJson } from "../api-types.ts";
import { stringFlag } from "../args.ts";
import { UsageError } from "../errors.ts";
import { shortId } from "../ids.ts";
import { followOutput, type OutputSink } from "../output-follower.ts";
import type { Output } from "../output.ts";
import type { CommandContext } from "../spec.ts";
import { shellCommand, taskBody } from "../task-flags.ts";

/** Exit code after an interrupt, as a shell reports a command stopped by SIGINT. */
export const INTERRUPTED_EXIT = 130;
/** After cancelling, how long to wait for the task to end cancelled (a running attempt gets TERM, then KILL after 5 s). */
const CANCEL_SETTLE_MS = 15_000;

type InterruptMode = "ask" | "cancel" | "detach";

export async function run({ args, output, api: connect }: CommandContext): Promise<number> {
  if (args.positionals.length > 0) throw new UsageError(`put the command after --, e.g. taskflow run -- ${args.positionals.join(" ")}`);
  const mode = interruptMode(stringFlag(args, "on-interrupt"));
  const body = taskBody(args, shellCommand(args.command, "run"), { retries: 0 });
  const api = connect();
  const task = await api.post<TaskJson>("/api/tasks", body);
  const note = (text: string) => output.err(`${output.paintErr("dim", `taskflow: ${text}`)}\n`);
  if (output.stderrIsTty) note(`task ${shortId(task.id)} submitted; Ctrl-C to cancel or detach`);

  const following = new AbortController();
  const interrupt = new InterruptHandler(api, task.id, mode, output, note, following);
  process.on("SIGINT", interrupt.handle);
  try {
    const final = await followOutput(api, task.id, sink(output, note), {
      fromAttempt: 1,
      streams: { stdout: true, stderr: true },
      signal: following.signal,
      onServerLost: (err) => note(`${err.message}; still trying`),
    });
    if (interrupt.outcome === "detach") {
      note(`detached; task ${shortId(task.id)} goes on (taskflow logs -f ${shortId(task.id)})`);
      return INTERRUPTED_EXIT;
    }
    if (interrupt.outcome === "cancel") {
      note(final ? `task ${shortId(task.id)} ${final.status}` : `cancel requested; task ${shortId(task.id)} has not ended yet`);
      return INTERRUPTED_EXIT;
    }
    return exitCode(final!, note);
  } finally {
    process.off("SIGINT", interrupt.handle);
  }
}

function interruptMode(flag: string | undefined): InterruptMode {
  if (flag === undefined) return "ask";
  if (flag === "ask" || flag === "cancel" || flag === "detach") return flag;
  throw new UsageError(`--on-interrupt="${flag}" must be ask, cancel or detach`);
}

/** Output to the terminal; a note between attempts when the task is retried. */
function sink(output: Output, note: (text: string) => void): OutputSink {
  return {
    stdout: (text) => output.out(text),
    stderr: (text) => output.err(text),
    gap: (bytes, n) => note(`${bytes} bytes of attempt ${n}'s output were not kept`),
    attemptEnded: (a, task) => {
      if (a.attempt < task.attempt || !FINAL_STATUSES.has(task.status)) {
        note(`attempt ${a.attempt} ${a.status}${a.exit_code !== null ? ` (exit ${a.exit_code})` : a.error ? ` (${a.error})` : ""}; retrying`);
      }
    },
  };
}

/** The task's exit code; 1 with a one-line reason when it ended without one. */
export function exitCode(task: TaskDetailJson, note: (text: string) => void): number {
  const code = task.exit_code;
  if (task.status === "completed") return 0;
  if (task.status === "failed" && code !== null && code > 0 && code < 256) return code;
  note(`task ${shortId(task.id)} ${task.status}${task.error ? `: ${task.error}` : ""}`);
  return 1;
}

/** What Ctrl-C does: ask, cancel or detach; a second Ctrl-C while asking detaches. */
class InterruptHandler {
  outcome: "cancel" | "detach" | null = null;
  private asking = false;

  constructor(
    private readonly api: ApiClient,
    private readonly taskId: string,
    private readonly mode: InterruptMode,
    private readonly output: Output,
    private readonly note: (text: string) => void,
    private readonly following: AbortController,
  ) {}

  readonly handle = (): void => {
    if (this.asking || this.outcome !== null) return this.detach();
    const mode = this.mode === "ask" && !this.output.stdinIsTty ? "cancel" : this.mode;
    if (mode === "detach") return this.detach();
    if (mode === "cancel") return void this.cancel();
    void this.ask();
  };

  private detach(): void {
    this.outcome = "detach";
    this.following.abort();
  }

  private async cancel(): Promise<void> {
    this.outcome = "cancel";
    try {
      await this.api.post(`/api/tasks/${this.taskId}/cancel`);
      this.note(`cancelling task ${shortId(this.taskId)}`);
    } catch (err) {
      // 409: it finished meanwhile, so run ends as if not interrupted, with the task's exit code.
      if (err instanceof ApiError && err.status === 409) this.outcome = null;
      else this.note(err instanceof Error ? err.message : String(err));
    }
    if (this.outcome === "cancel") setTimeout(() => this.following.abort(), CANCEL_SETTLE_MS).unref();
  }

  private async ask(): Promise<void> {
    this.asking = true;
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await new Promise<string>((resolve) => {
      rl.question(`\ntaskflow: task ${shortId(this.taskId)} is still on the fleet: [c]ancel it, [d]etach and leave it running, or keep following (Enter)? `, resolve);
      rl.once("close", () => resolve(""));
      // On a terminal readline takes Ctrl-C itself: a second one detaches.
      rl.once("SIGINT", () => {
        this.detach();
        rl.close();
      });
    });
    rl.close();
    this.asking = false;
    if (this.outcome !== null) return;
    const a = answer.trim().toLowerCase();
    if (a.startsWith("c")) await this.cancel();
    else if (a.startsWith("d")) this.detach();
  }
}
