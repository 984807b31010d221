import { expect, test } from "bun:test";
import { painter } from "./output.ts";
import { renderTable, type Column } from "./table.ts";

type Row = { id: string; name: string; status: string };
const rows: Row[] = [
  { id: "7d1c2a4e", name: "a rather long task name that will not fit", status: "failed" },
  { id: "0a1b2c3d", name: "short", status: "completed" },
];
const columns: Column<Row>[] = [
  { header: "ID", value: (r) => r.id },
  { header: "NAME", value: (r) => r.name, shrink: true },
  { header: "STATUS", value: (r) => r.status, style: (r) => (r.status === "failed" ? "red" : "green") },
];

test("aligned columns without colour when colour is off", () => {
  expect(renderTable(rows, columns, painter(false), null)).toBe(
    ["ID        NAME                                       STATUS", "7d1c2a4e  a rather long task name that will not fit  failed", "0a1b2c3d  short                                      completed", ""].join("\n"),
  );
});

test("shrinking columns are cut with … to fit the width; colour codes do not count", () => {
  const text = renderTable(rows, columns, painter(true), 40);
  const visible = text.replace(/\x1b\[\d+m/g, "");
  for (const line of visible.trimEnd().split("\n")) expect(line.length).toBeLessThanOrEqual(40);
  expect(visible).toContain("7d1c2a4e  a rather long task…  failed");
  expect(text).toContain("\x1b[31mfailed\x1b[39m");
});
