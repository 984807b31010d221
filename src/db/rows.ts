/**
 * `db.execute()` answers differ by driver: postgres.js gives an array-like RowList,
 * PGlite gives `{ rows }`. Query code reads results through `rows()` only.
 */
export function rows<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  const r = (result as { rows?: T[] } | null)?.rows;
  return Array.isArray(r) ? r : [];
}
