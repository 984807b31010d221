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
