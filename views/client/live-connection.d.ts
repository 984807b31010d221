// live-connection.js is served to browsers, never run by the server: the server imports it
// `with { type: "file" }` (src/scheduler/dashboard/asset-routes.ts) and gets its path.
declare const path: string;
export default path;
