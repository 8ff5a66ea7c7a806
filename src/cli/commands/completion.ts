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
  /** Commands (or verbs) whose argument is an app: its names come from the cluster. */
  appArg: string[];
  /** `command:flag` -> the flag's choices (`status:-o` -> table json yaml). */
  choices: Record<string, string[]>;
  /** Flags that take a value (so the word after one is not an argument). */
  valueFlags: string[];
}

/** Flags whose value is a file or a folder. */
const FILE_FLAGS = ['-f', '--file', '--kubeconfig', '--state', '--audit-log'];

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
    appArg: [],
    choices: {},
    valueFlags: [],
  };
  const values = new Set<string>();
  const noteValues = (name: string, cmd: Command) => {
    for (const o of help.visibleOptions(cmd)) {
      if (!o.required && !o.optional) continue;
      for (const f of [o.long, o.short].filter((x): x is string => Boolean(x))) {
        values.add(f);
        if (o.argChoices) t.choices[`${name}:${f}`] = [...o.argChoices];
      }
    }
  };
  noteValues('', program);
  for (const cmd of help.visibleCommands(program)) {
    if (cmd.name() === 'help') continue;
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
      if (cmd.registeredArguments[0]?.name() === 'app') t.appArg.push(name);
      for (const v of cmd.commands) if (v.registeredArguments[0]?.name() === 'app') t.appArg.push(v.name());
      noteValues(name, cmd);
      for (const v of cmd.commands) noteValues(name, v);
    }
  }
  t.commands.push('help');
  t.valueFlags = [...values];
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
  const choiceCases = Object.entries(t.choices)
    .map(([key, list]) => {
      const [cmd, flag] = key.split(':') as [string, string];
      return `    ${cmd ? `${cmd}:` : '*:'}${flag}) COMPREPLY=( $(compgen -W "${list.join(' ')}" -- "$cur") ); return ;;`;
    })
    .join('\n');
  return `# vela-ts bash completion: eval "$(vela-ts completion bash)"
# Names of apps, components and namespaces come from the cluster the line points at
# (its --kubeconfig, --context, -n and --sandbox), through \`vela-ts __complete\`.
_vela_ts_conn() {
  local i w out=""
  for ((i=1; i<COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      --kubeconfig|--context|-n|--namespace) [ $((i+1)) -lt "$COMP_CWORD" ] && out="$out $w \${COMP_WORDS[i+1]}" ;;
      --sandbox) out="$out --sandbox" ;;
    esac
  done
  printf '%s' "$out"
}
# The argument already given after the command (and its verb), skipping flags and their values.
_vela_ts_arg() {
  local i w skip=0 first=2
  case "\${COMP_WORDS[1]}" in ${Object.keys(t.words).join('|') || '__none__'}) first=3 ;; esac
  for ((i=first; i<COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [ "$skip" = 1 ]; then skip=0; continue; fi
    case "$w" in
      ${t.valueFlags.join('|')}) skip=1 ;;
      -*) ;;
      *) printf '%s' "$w"; return ;;
    esac
  done
}
_vela_ts() {
  local cur prev cmd opts
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${[...t.commands, ...t.global, ...t.top].join(' ')}" -- "$cur") )
    return
  fi
  case "$cmd:$prev" in
${choiceCases}
    *:-f|*:--file|*:--kubeconfig|*:--state|*:--audit-log) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
    *:-n|*:--namespace) COMPREPLY=( $(compgen -W "$(vela-ts __complete namespaces $(_vela_ts_conn) 2>/dev/null)" -- "$cur") ); return ;;
    *:--component) COMPREPLY=( $(compgen -W "$(vela-ts __complete components "$(_vela_ts_arg)" $(_vela_ts_conn) 2>/dev/null)" -- "$cur") ); return ;;
  esac
  case "$cmd" in
${cases}
    *) opts="${t.global.join(' ')}" ;;
  esac
  local verb="\${COMP_WORDS[2]}"
  if [[ "$cur" != -* ]] && [ -z "$(_vela_ts_arg)" ] && { ${
    t.appArg.map((c) => `[ "$cmd" = ${c} ] || [ "$verb" = ${c} ]`).join(' || ') || 'false'
  }; } && { ! { ${wordy || 'false'}; } || [ "$COMP_CWORD" -ge 3 ]; }; then
    COMPREPLY=( $(compgen -W "$(vela-ts __complete apps $(_vela_ts_conn) 2>/dev/null)" -- "$cur") )
    return
  fi
  if [[ "$cur" == -* ]] || { { ${wordy || 'false'}; } && [ "$COMP_CWORD" -eq 2 ]; }; then
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
  const ask = (what: string) => `(vela-ts __complete ${what} (__vela_ts_conn) 2>/dev/null)`;
  const valued = new Set(t.valueFlags);
  const flagLine = (cmd: string | undefined, f: string) => {
    const choice = t.choices[`${cmd ?? ''}:${f}`];
    const value = choice
      ? ` -x -a "${choice.join(' ')}"`
      : FILE_FLAGS.includes(f)
        ? ' -r -F'
        : f === '-n' || f === '--namespace'
          ? ` -x -a "${ask('namespaces')}"`
          : f === '--component'
            ? ` -x -a "(vela-ts __complete components (__vela_ts_arg) (__vela_ts_conn) 2>/dev/null)"`
            : valued.has(f)
              ? ' -x'
              : '';
    return `complete -c vela-ts${cmd ? ` ${seen(cmd)}` : ''} ${fishFlag(f)}${value}`;
  };
  const lines = [
    '# vela-ts fish completion: vela-ts completion fish | source',
    '# Names of apps, components and namespaces come from the cluster the line points at.',
    'function __vela_ts_conn',
    '  set -l words (commandline -opc)',
    '  for i in (seq (count $words))',
    '    switch $words[$i]',
    '      case --kubeconfig --context -n --namespace',
    '        set -l j (math $i + 1)',
    '        test $j -le (count $words); and printf "%s\\n" $words[$i] $words[$j]',
    '      case --sandbox',
    '        echo --sandbox',
    '    end',
    '  end',
    'end',
    'function __vela_ts_arg',
    '  set -l words (commandline -opc)',
    '  set -l first 3',
    `  contains -- "$words[2]" ${Object.keys(t.words).join(' ') || '__none__'}; and set first 4`,
    '  set -l skip 0',
    '  for w in $words[$first..-1]',
    '    if test $skip = 1; set skip 0; continue; end',
    `    if contains -- $w ${t.valueFlags.join(' ')}; set skip 1; continue; end`,
    '    string match -q -- "-*" $w; and continue',
    '    echo $w; return',
    '  end',
    'end',
    'complete -c vela-ts -f',
    ...t.commands.map((c) => `complete -c vela-ts -n "__fish_use_subcommand" -a ${c}`),
    ...t.top.map((f) => `complete -c vela-ts -n "__fish_use_subcommand" ${fishFlag(f)}`),
    ...t.global.map((f) => flagLine(undefined, f)),
    ...Object.entries(t.words).flatMap(([cmd, words]) =>
      words.map((w) => `complete -c vela-ts ${seen(cmd)} -a ${w}`),
    ),
    ...Object.entries(t.flags).flatMap(([cmd, flags]) => flags.map((f) => flagLine(cmd, f))),
    ...t.fileArg.map((c) => `complete -c vela-ts ${seen(c)} -F`),
    ...[...new Set(t.appArg)].map(
      (c) =>
        `complete -c vela-ts -n "__fish_seen_subcommand_from ${c}; and test -z (__vela_ts_arg)" -a "${ask('apps')}"`,
    ),
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
