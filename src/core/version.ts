/** taskflow's version, from package.json (inlined into the binary at build time). */
import pkg from "../../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
