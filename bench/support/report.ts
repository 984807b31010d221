/**
 * Figures and how they are shown: each figure carries the baseline measured in the
 * same run (only ratios travel between noisy machines), its target, and whether the
 * target was met. Printed as a table at the end and as one JSON line per figure as
 * soon as it is known.
 */
import { appendFileSync } from "node:fs";

export interface Baseline {
  name: string;
  value: number;
  unit: string;
}

export interface Target {
  /** What the target says, e.g. "≥ 0.70 × baseline" or "≤ 1.5 ms". */
  text: string;
  met: boolean;
}

export interface Figure {
  scenario: string;
  name: string;
  value: number;
  unit: string;
  baseline: Baseline | null;
  /** value / baseline.value, when there is a baseline. */
  ratio: number | null;
  target: Target | null;
  /** Anything worth knowing next to the figure (sample size, a second baseline). */
  note?: string;
}

/** A target on the ratio to the baseline (higher is better). */
export function atLeastRatio(min: number): (f: Omit<Figure, "target">) => Target {
  return (f) => ({ text: `ratio ≥ ${min.toFixed(2)}`, met: f.ratio !== null && f.ratio >= min });
}

/** A target on the ratio to the baseline (lower is better). */
export function atMostRatio(max: number): (f: Omit<Figure, "target">) => Target {
  return (f) => ({ text: `ratio ≤ ${max.toFixed(2)}`, met: f.ratio !== null && f.ratio <= max });
}

/** An absolute upper bound on the value. */
export function atMost(max: number, unit: string): (f: Omit<Figure, "target">) => Target {
  return (f) => ({ text: `≤ ${max} ${unit}`, met: f.value <= max });
}

export class Report {
  readonly figures: Figure[] = [];
  /** Tables of their own (the peers' side by side), printed after the figures. */
  readonly sections: string[] = [];

  constructor(private readonly jsonOut: string | null) {}

  /** Records a figure, prints its JSON line, and returns it. */
  add(
    scenario: string,
    name: string,
    value: number,
    unit: string,
    opts: { baseline?: Baseline | null; target?: (f: Omit<Figure, "target">) => Target; note?: string } = {},
  ): Figure {
    const baseline = opts.baseline ?? null;
    const ratio = baseline && baseline.value > 0 ? value / baseline.value : null;
    const partial = { scenario, name, value, unit, baseline, ratio, note: opts.note };
    const figure: Figure = { ...partial, target: opts.target ? opts.target(partial) : null };
    this.figures.push(figure);
    const line = JSON.stringify({ type: "figure", ...figure });
    process.stdout.write(`${line}\n`);
    if (this.jsonOut) appendFileSync(this.jsonOut, `${line}\n`);
    return figure;
  }

  /** Adds a Markdown section, printed after the table (and on stderr at once). */
  section(markdown: string): void {
    this.sections.push(markdown);
    process.stderr.write(`${markdown}\n`);
  }

  /** The results as a Markdown table (the same one bench/README.md keeps). */
  table(): string {
    const head = "| scenario | figure | value | baseline (same run) | ratio | target | met |";
    const rule = "|---|---|---:|---|---:|---|---|";
    const lines = this.figures.map((f) => {
      const base = f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.value)} ${f.baseline.unit}` : "—";
      const ratio = f.ratio === null ? "—" : f.ratio.toFixed(2);
      const met = f.target ? (f.target.met ? "yes" : "**no**") : "—";
      const value = `${fmt(f.value)} ${f.unit}${f.note ? ` (${f.note})` : ""}`;
      return `| ${[f.scenario, f.name, value, base, ratio, f.target?.text ?? "—", met].map(cell).join(" | ")} |`;
    });
    return [head, rule, ...lines].join("\n");
  }
}

/** A table cell: a "|" in the text would end the cell. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

/** A number for people: 3 significant digits for small values, thousands separated for big ones. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toLocaleString("en-US");
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toPrecision(2);
}

/** The q-quantile (0..1) of numbers, by nearest rank on a sorted copy. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** p50, p95, p99 and max of a sample. */
export function summary(values: number[]): { p50: number; p95: number; p99: number; max: number; n: number } {
  return { p50: quantile(values, 0.5), p95: quantile(values, 0.95), p99: quantile(values, 0.99), max: quantile(values, 1), n: values.length };
}

/** Logs a progress line on stderr, so stdout stays table + JSON lines. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
