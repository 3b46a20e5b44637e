// `meshlet completion bash|zsh`: a completion script for the shell. Commands
// and their flags are read from the command table and each command's --help
// text, so the script cannot drift from what the commands accept.

import { runCommand, UsageError } from './args.ts';
import { COMMANDS } from './commands.ts';

export const USAGE = `usage: meshlet completion bash|zsh

Prints a completion script for meshlet's commands and flags.

  -h, --help   this text

examples:
  source <(meshlet completion bash)              # this shell
  meshlet completion bash > /etc/bash_completion.d/meshlet
  meshlet completion zsh > "\${fpath[1]}/_meshlet"  # zsh, then restart it
`;

export const OPTIONS = {} as const;

/** Positional words a command takes, completed like its flags. */
const WORDS: Record<string, readonly string[]> = { certs: ['dev'], completion: ['bash', 'zsh'] };

/** Long flags in the option lines (those starting with `-`) of a --help text, in order, once each. */
export function flagsOf(help: string): string[] {
  const found = new Set<string>();
  for (const line of help.split('\n')) {
    if (!/^\s+-/.test(line)) continue;
    for (const m of line.matchAll(/(?<![\w-])--(\[no-\])?([a-z][a-z0-9-]*)/g)) {
      found.add(`--${m[2]}`);
      if (m[1] !== undefined) found.add(`--no-${m[2]}`);
    }
  }
  found.add('--help');
  return [...found];
}

export async function commandFlags(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const [name, entry] of Object.entries(COMMANDS)) {
    const mod = await entry.load();
    out.set(name, [...(WORDS[name] ?? []), ...flagsOf(mod.USAGE ?? '')]);
  }
  return out;
}

/** Splits a command's words into its flags and its positional words (`certs dev`). */
function split(words: readonly string[]): { flags: string; args: string } {
  return {
    flags: words.filter((w) => w.startsWith('-')).join(' '),
    args: words.filter((w) => !w.startsWith('-')).join(' '),
  };
}

// Names and flags are [a-z0-9-]: safe inside the scripts' quotes as they are.
export function bashScript(flags: Map<string, string[]>): string {
  const cases = [...flags]
    .map(([name, words]) => {
      const { flags: f, args } = split(words);
      return `    ${name}) flags="${f}" args="${args}" ;;`;
    })
    .join('\n');
  return `# meshlet completion for bash: source <(meshlet completion bash)
_meshlet() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" flags="" args=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${[...flags.keys()].join(' ')} --help --version" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
  esac
  # File names and values fall back to bash's default completion.
  case "$cur" in
    -*) COMPREPLY=($(compgen -W "$flags" -- "$cur")) ;;
    *) if [ "$COMP_CWORD" -eq 2 ] && [ -n "$args" ]; then COMPREPLY=($(compgen -W "$args" -- "$cur")); fi ;;
  esac
}
complete -o default -F _meshlet meshlet
`;
}

export function zshScript(flags: Map<string, string[]>, describe: Map<string, string>): string {
  const commands = [...flags.keys()]
    .map((name) => `    '${name}:${(describe.get(name) ?? '').replaceAll("'", '').replaceAll(':', '\\:')}'`)
    .join('\n');
  const cases = [...flags]
    .map(([name, words]) => {
      const { flags: f, args } = split(words);
      return `    (${name}) flags=(${f}) args=(${args}) ;;`;
    })
    .join('\n');
  return `#compdef meshlet
# meshlet completion for zsh: save as _meshlet in a directory of $fpath, or
# source <(meshlet completion zsh) after compinit.
_meshlet() {
  local -a commands flags args
  commands=(
${commands}
  )
  if (( CURRENT == 2 )); then
    _describe 'meshlet command' commands
    return
  fi
  case $words[2] in
${cases}
  esac
  if [[ $PREFIX == -* ]]; then
    compadd -- $flags
  elif (( CURRENT == 3 && \${#args} > 0 )); then
    compadd -- $args
  else
    _files
  fi
}
if [ "$funcstack[1]" = "_meshlet" ]; then
  _meshlet "$@"
else
  compdef _meshlet meshlet
fi
`;
}

export function run(argv: string[]): Promise<number> {
  return runCommand(
    'completion',
    argv,
    { options: OPTIONS, usage: USAGE, maxPositionals: 1 },
    async (args) => {
      const shell = args.positionals[0];
      if (shell !== 'bash' && shell !== 'zsh') {
        throw new UsageError(
          shell === undefined ? 'name a shell: bash or zsh' : `no completion for '${shell}'; use bash or zsh`,
        );
      }
      const flags = await commandFlags();
      const describe = new Map(Object.entries(COMMANDS).map(([name, c]) => [name, c.describe]));
      process.stdout.write(shell === 'bash' ? bashScript(flags) : zshScript(flags, describe));
      return 0;
    },
  );
}
