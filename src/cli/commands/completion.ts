/**
 * `taskflow completion bash|zsh|fish`: a completion script written from the
 * command table (spec.ts), so it always knows every subcommand and flag.
 * Server words (migrate, version, --role=…) are offered at the first position too.
 */
import { CLIENT_COMMANDS } from "../command-names.ts";
import { UsageError } from "../errors.ts";
import { SPECS, type CommandSpec } from "../spec.ts";
import type { CommandContext } from "../spec.ts";

const SERVER_WORDS = [
  { name: "migrate", summary: "apply database migrations and exit" },
  { name: "version", summary: "print the version and exit" },
];
const ROLE_FLAG = "--role=";

export async function run({ args, output }: CommandContext): Promise<number> {
  const [shell, ...extra] = args.positionals;
  if (extra.length > 0 || !shell) throw new UsageError("taskflow completion takes one shell: bash, zsh or fish");
  const script = shell === "bash" ? bashScript() : shell === "zsh" ? zshScript() : shell === "fish" ? fishScript() : null;
  if (script === null) throw new UsageError(`no completion for "${shell}": bash, zsh or fish`);
  output.out(script);
  return 0;
}

const topWords = () => [...CLIENT_COMMANDS.map((c) => c.name), ...SERVER_WORDS.map((w) => w.name), ROLE_FLAG].join(" ");
const flagsOf = (s: CommandSpec) => [...Object.keys(s.options).map((n) => `--${n}`), "--help"];
const choiceFlags = () => SPECS.flatMap((s) => Object.entries(s.options).filter(([, o]) => o.choices).map(([n, o]) => ({ command: s.name, flag: `--${n}`, choices: o.choices! })));
/** Single quotes for a shell word. */
const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export function bashScript(): string {
  const cases = SPECS.map((s) => `    ${s.name}) flags=${q(flagsOf(s).join(" "))}; subs=${q((s.subcommands ?? []).join(" "))} ;;`).join("\n");
  const choices = choiceFlags().map((c) => `    ${c.command}:${c.flag}) COMPREPLY=($(compgen -W ${q(c.choices.join(" "))} -- "$cur")); return ;;`).join("\n");
  return `# taskflow bash completion: source <(taskflow completion bash)
_taskflow() {
  local cur prev cmd flags subs
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W ${q(topWords())} -- "$cur"))
    return
  fi
  cmd="\${COMP_WORDS[1]}"
  case "$cmd:$prev" in
${choices}
  esac
  case "$cmd" in
${cases}
    *) return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  elif [ -n "$subs" ] && [ "$COMP_CWORD" -eq 2 ]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _taskflow taskflow
`;
}

export function zshScript(): string {
  const described = [...CLIENT_COMMANDS, ...SERVER_WORDS].map((c) => `    ${q(`${c.name}:${c.summary.replaceAll(":", "\\:")}`)}`).join("\n");
  const cases = SPECS.map((s) => `    ${s.name}) flags=(${flagsOf(s).join(" ")}); subs=(${(s.subcommands ?? []).join(" ")}) ;;`).join("\n");
  const choices = choiceFlags().map((c) => `    ${c.command}:${c.flag}) compadd -- ${c.choices.join(" ")}; return ;;`).join("\n");
  return `#compdef taskflow
# taskflow zsh completion: taskflow completion zsh > "\${fpath[1]}/_taskflow" (or source <(taskflow completion zsh))
_taskflow() {
  local -a commands flags subs
  commands=(
${described}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    compadd -- ${ROLE_FLAG}
    return
  fi
  case "$words[2]:$words[CURRENT-1]" in
${choices}
  esac
  case "$words[2]" in
${cases}
    *) return ;;
  esac
  if [[ "$PREFIX" == -* ]]; then
    compadd -- $flags
  elif (( CURRENT == 3 && \${#subs} > 0 )); then
    compadd -- $subs
  else
    _files
  fi
}
if [ "$funcstack[1]" = "_taskflow" ]; then
  _taskflow "$@"
else
  compdef _taskflow taskflow
fi
`;
}

export function fishScript(): string {
  const lines = ["# taskflow fish completion: taskflow completion fish > ~/.config/fish/completions/taskflow.fish", "complete -c taskflow -f"];
  for (const c of [...CLIENT_COMMANDS, ...SERVER_WORDS]) lines.push(`complete -c taskflow -n __fish_use_subcommand -a ${c.name} -d ${q(c.summary)}`);
  for (const s of SPECS) {
    const when = `'__fish_seen_subcommand_from ${s.name}'`;
    if (s.subcommands) lines.push(`complete -c taskflow -n ${when} -a ${q(s.subcommands.join(" "))}`);
    for (const [name, o] of Object.entries(s.options)) {
      const value = o.type === "string" ? (o.choices ? ` -x -a ${q(o.choices.join(" "))}` : " -r") : "";
      lines.push(`complete -c taskflow -n ${when} -l ${name}${o.short ? ` -s ${o.short}` : ""}${value} -d ${q(o.help)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
