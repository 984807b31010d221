/** `taskflow help COMMAND` and `taskflow COMMAND --help`, written from the command's spec. */
import { CLIENT_COMMANDS } from "./command-names.ts";
import type { CommandSpec } from "./spec.ts";

export function commandHelp(spec: CommandSpec): string {
  const summary = CLIENT_COMMANDS.find((c) => c.name === spec.name)!.summary;
  const flags = Object.entries(spec.options).map(([name, o]) => {
    const label = `${o.short ? `-${o.short}, ` : "    "}--${name}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}`;
    return `  ${label.padEnd(32)} ${o.help}`;
  });
  flags.push(`  ${"-h, --help".padEnd(32)} this help`);
  return [
    `taskflow ${spec.name}: ${summary}`,
    "",
    "usage:",
    ...spec.usage.map((u) => `  ${u}`),
    "",
    "flags:",
    ...flags,
    ...(spec.notes?.length ? ["", ...spec.notes] : []),
    "",
    "examples:",
    ...spec.examples.map((e) => `  ${e}`),
    "",
  ].join("\n");
}

/** The client commands section of `taskflow --help`. */
export function clientCommandsHelp(): string[] {
  return CLIENT_COMMANDS.map((c) => `  taskflow ${c.name.padEnd(12)} ${c.summary}`);
}
