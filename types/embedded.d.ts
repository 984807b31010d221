// Files embedded in the compiled binary with `import x from "..." with { type: "file" }`.
declare module "*.wasm" {
  const path: string;
  export default path;
}
declare module "*.data" {
  const path: string;
  export default path;
}
declare module "*.proto" {
  const text: string;
  export default text;
}
// The dashboard's assets (src/scheduler/dashboard/asset-routes.ts).
declare module "htmx.org/dist/*" {
  const path: string;
  export default path;
}
declare module "htmx-ext-sse/dist/*" {
  const path: string;
  export default path;
}
declare module "*.css" {
  const path: string;
  export default path;
}
declare module "*.svg" {
  const path: string;
  export default path;
}
declare module "*.tar.gz" {
  const path: string;
  export default path;
}
