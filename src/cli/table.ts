/**
 * Plain-text tables that fit the terminal: columns marked `shrink` give up
 * width (cut with …) when a row would be wider than the terminal. Widths count
 * visible characters, so colour codes never misalign a column.
 */
import type { Painter, Style } from "./output.ts";

export interface Column<T> {
  header: string;
  value(row: T): string;
  /** Colour of a cell, if any. */
  style?(row: T): Style | null;
  /** May be cut to fit the terminal width. */
  shrink?: boolean;
  align?: "right";
}

/** Narrowest a shrinking column gets. */
const MIN_SHRUNK = 6;
const GAP = "  ";

export function renderTable<T>(rows: T[], columns: Column<T>[], paint: Painter, maxWidth: number | null): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => [...row[i]!].length)));
  if (maxWidth !== null) fitWidths(widths, columns, maxWidth);
  const line = (values: string[], styles: (Style | null)[]) =>
    values
      .map((v, i) => {
        const cut = truncate(v, widths[i]!);
        const padded = columns[i]!.align === "right" ? cut.padStart(widths[i]!) : i === values.length - 1 ? cut : cut.padEnd(widths[i]!);
        const style = styles[i];
        // Pad outside the colour codes, so padding is measured on visible text.
        return style ? padded.replace(cut, paint(style, cut)) : padded;
      })
      .join(GAP)
      .trimEnd();
  const header = line(columns.map((c) => c.header), columns.map(() => "bold" as const));
  return [header, ...rows.map((r, ri) => line(cells[ri]!, columns.map((c) => c.style?.(r) ?? null)))].join("\n") + "\n";
}

function fitWidths(widths: number[], columns: Column<unknown>[], maxWidth: number): void {
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP.length * (widths.length - 1);
  // Take one character at a time from the widest shrinkable column, so they shrink evenly.
  while (total() > maxWidth) {
    let widest = -1;
    columns.forEach((c, i) => {
      if (c.shrink && widths[i]! > MIN_SHRUNK && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    });
    if (widest < 0) return;
    widths[widest]!--;
  }
}

export function truncate(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join("")}…`;
}
