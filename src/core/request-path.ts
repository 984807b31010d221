/**
 * The path of an absolute request URL, read without `new URL()`: a malformed Host
 * header makes that throw, and the code that needs a path (the database gate, the
 * stream HEAD answer, the metrics server) runs before or without the bad-Host check.
 * @example requestPath("http://h:8080/api/tasks?limit=5") // "/api/tasks"
 */
export function requestPath(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const end = url.slice(start).search(/[?#]/);
  return end < 0 ? url.slice(start) : url.slice(start, start + end);
}
