import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { IO } from '../io.js';
import { EXIT_OK } from '../errors.js';

/** What the completion scripts offer, read from the commander program itself (never a second list). */
interface Tree {
  /** Command names and aliases. */
  commands: string[];
  /** Flags every command accepts (the program's own options), and those only before a command. */
  global: string[];
  top: string[];
  /** Per command (and alias), its own flags; a command with verbs lists those of every verb. */
  flags: Record<string, string[]>;
  /** Words that follow a command: its verbs or its argument's choices. */
  words: Record<string, string[]>;
  /** Commands whose argument is a file. */
  fileArg: string[];
}

function tree(program: Command): Tree {
  const help = program.createHelp();
  const flagsOf = (cmd: Command) =>
    help.visibleOptions(cmd).flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
  const own = flagsOf(program);
  const top = ['--version', '-V'].filter((f) => own.includes(f));
  const t: Tree = {
    commands: [],
    global: own.filter((f) => !top.includes(f)),
    top,
    flags: {},
    words: {},
    fileArg: [],
  };
  for (const cmd of program.commands) {
    const flags = [...new Set([...flagsOf(cmd), ...cmd.commands.flatMap(flagsOf)])].filter(
      (f) => !t.global.includes(f),
    );
    const verbs = cmd.commands.map((v) => v.name());
    const choices = cmd.registeredArguments[0]?.argChoices ?? [];
    for (const name of [cmd.name(), ...cmd.aliases()]) {
      t.commands.push(name);
      t.flags[name] = flags;
      if (verbs.length + choices.length > 0) t.words[name] = [...verbs, ...choices];
      if (cmd.registeredArguments[0]?.name() === 'file') t.fileArg.push(name);
    }
  }
  t.commands.push('help');
  return t;
}

function bash(t: Tree): string {
  const cases = Object.entries(t.flags)
    .map(
      ([cmd, flags]) => `    ${cmd}) opts="${[...flags, ...t.global, ...(t.words[cmd] ?? [])].join(' ')}" ;;`,
    )
    .join('\n');
  const wordy = Object.keys(t.words)
    .map((cmd) => `[ "$cmd" = ${cmd} ]`)
    .join(' || ');
  return `# vela-ts bash completion: eval "$(vela-ts completion bash)"
_vela_ts() {
  local cur cmd opts
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${[...t.commands, ...t.global, ...t.top].join(' ')}" -- "$cur") )
    return
  fi
  case "$cmd" in
${cases}
    *) opts="${t.global.join(' ')}" ;;
  esac
  if [[ "$cur" == -* ]] || ${wordy}; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  else
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
}
complete -o default -F _vela_ts vela-ts
`;
}

function zsh(t: Tree): string {
  return `#compdef vela-ts
# vela-ts zsh completion: vela-ts completion zsh > "\${fpath[1]}/_vela-ts"
autoload -U +X bashcompinit && bashcompinit
${bash(t)}`;
}

/** `-l long` or `-s x`, as fish's `complete` wants a flag. */
const fishFlag = (f: string) => (f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`);

function fish(t: Tree): string {
  const seen = (cmd: string) => `-n "__fish_seen_subcommand_from ${cmd}"`;
  const lines = [
    '# vela-ts fish completion: vela-ts completion fish | source',
    'complete -c vela-ts -f',
    ...t.commands.map((c) => `complete -c vela-ts -n "__fish_use_subcommand" -a ${c}`),
    ...t.top.map((f) => `complete -c vela-ts -n "__fish_use_subcommand" ${fishFlag(f)}`),
    ...t.global.map((f) => `complete -c vela-ts ${fishFlag(f)}`),
    ...Object.entries(t.words).flatMap(([cmd, words]) =>
      words.map((w) => `complete -c vela-ts ${seen(cmd)} -a ${w}`),
    ),
    ...Object.entries(t.flags).flatMap(([cmd, flags]) =>
      flags.map((f) => `complete -c vela-ts ${seen(cmd)} ${fishFlag(f)}`),
    ),
    ...t.fileArg.map((c) => `complete -c vela-ts ${seen(c)} -F`),
  ];
  return `${lines.join('\n')}\n`;
}

/** The completion script of `shell` for `program`, the tree vela-ts parses its arguments with. */
export function completion(shell: string, program: Command, io: IO): number {
  const scripts: Record<string, (t: Tree) => string> = { bash, zsh, fish };
  const make = scripts[shell];
  if (!make) throw new UsageError(`no completion for "${shell}"; choose bash, zsh or fish`);
  io.stdout.write(make(tree(program)));
  return EXIT_OK;
}
