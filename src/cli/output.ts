/**
 * Where the CLI writes, and whether it may colour: only on a terminal, and never
 * when NO_COLOR is set to anything non-empty (no-color.org).
 */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Colour for stdout text. */
  paint: Painter;
  /** Colour for stderr text (decided separately: one of the two may be a pipe). */
  paintErr: Painter;
  /** Terminal width of stdout, or null when it is not a terminal. */
  columns: number | null;
  stdoutIsTty: boolean;
  stderrIsTty: boolean;
  stdinIsTty: boolean;
}

export type Style = "red" | "green" | "yellow" | "blue" | "magenta" | "cyan" | "dim" | "bold";
export type Painter = (style: Style, text: string) => string;

const CODES: Record<Style, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
};

export function painter(enabled: boolean): Painter {
  if (!enabled) return (_style, text) => text;
  return (style, text) => `\x1b[${CODES[style][0]}m${text}\x1b[${CODES[style][1]}m`;
}

export function colourAllowed(isTty: boolean, env: Record<string, string | undefined>): boolean {
  return isTty && !env.NO_COLOR;
}

/** The process's real stdout and stderr. */
export function processOutput(env: Record<string, string | undefined> = process.env): Output {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    paint: painter(colourAllowed(Boolean(process.stdout.isTTY), env)),
    paintErr: painter(colourAllowed(Boolean(process.stderr.isTTY), env)),
    columns: process.stdout.isTTY ? process.stdout.columns || 80 : null,
    stdoutIsTty: Boolean(process.stdout.isTTY),
    stderrIsTty: Boolean(process.stderr.isTTY),
    stdinIsTty: Boolean(process.stdin.isTTY),
  };
}

/** The colour of each task status, the same on every table. */
export function statusStyle(status: string): Style {
  switch (status) {
    case "completed":
      return "green";
    case "failed":
      return "red";
    case "cancelled":
      return "magenta";
    case "running":
    case "picked":
      return "cyan";
    case "alive":
      return "green";
    case "dead":
      return "red";
    case "left":
      return "dim";
    case "draining":
      return "yellow";
    default:
      return "yellow";
  }
}
