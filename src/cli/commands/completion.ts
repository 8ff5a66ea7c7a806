import { UsageError } from '../../errors.js';
import type { IO } from '../io.js';

// These lists mirror the commander program in main.ts; test/cli/completion.test.ts derives the
// expected flags from that program, so a flag added there and forgotten here fails a test.

const COMMANDS = [
  'up',
  'status',
  'workflow',
  'rollback',
  'render',
  'dry-run',
  'plan',
  'diff',
  'completion',
  'sandbox',
  'help',
];
/** Flags every command accepts (the program's own options). */
const GLOBAL = [
  '--kubeconfig',
  '--context',
  '--namespace',
  '-n',
  '--sandbox',
  '--no-color',
  '--verbose',
  '--help',
  '-h',
];
/** Flags that only make sense before a command. */
const TOP = ['--version', '-V'];
/** The options of a run that drives the workflow on (up, and the verbs that resume it). */
const RUN = ['--yes', '--no-prompt', '--timeout', '--traffic-settle'];
/** Per command, its own flags; a command with verbs (workflow, sandbox) lists those of every verb. */
const FLAGS: Record<string, string[]> = {
  up: [...RUN, '--force', '--create-namespace'],
  status: ['--file', '-f', '--output', '-o', '--watch', '-w'],
  workflow: ['--file', '-f', ...RUN, '--component'],
  rollback: ['--file', '-f', ...RUN, '--component'],
  render: ['--output', '-o'],
  'dry-run': ['--output', '-o'],
  plan: ['--from', '--output', '-o'],
  diff: [],
  completion: [],
  sandbox: ['--port', '--state', '--ready-delay', '--audit-log', '--fail-rate'],
};
/** Words that follow a command: its verbs or its argument's choices. */
const WORDS: Record<string, string[]> = {
  workflow: ['resume', 'suspend', 'terminate', 'restart', 'rollback'],
  sandbox: ['serve'],
  completion: ['bash', 'zsh', 'fish'],
};
/** Commands whose argument is a file. */
const FILE_ARG = ['up', 'render', 'dry-run', 'plan', 'diff'];

function bash(): string {
  const cases = Object.entries(FLAGS)
    .map(([cmd, flags]) => `    ${cmd}) opts="${[...flags, ...GLOBAL, ...(WORDS[cmd] ?? [])].join(' ')}" ;;`)
    .join('\n');
  const wordy = Object.keys(WORDS)
    .map((cmd) => `[ "$cmd" = ${cmd} ]`)
    .join(' || ');
  return `# vela-ts bash completion: eval "$(vela-ts completion bash)"
_vela_ts() {
  local cur cmd opts
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${[...COMMANDS, ...GLOBAL, ...TOP].join(' ')}" -- "$cur") )
    return
  fi
  case "$cmd" in
${cases}
    *) opts="${GLOBAL.join(' ')}" ;;
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

function zsh(): string {
  return `#compdef vela-ts
# vela-ts zsh completion: vela-ts completion zsh > "\${fpath[1]}/_vela-ts"
autoload -U +X bashcompinit && bashcompinit
${bash()}`;
}

/** `-l long` or `-s x`, as fish's `complete` wants a flag. */
const fishFlag = (f: string) => (f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`);

function fish(): string {
  const seen = (cmd: string) => `-n "__fish_seen_subcommand_from ${cmd}"`;
  const lines = [
    '# vela-ts fish completion: vela-ts completion fish | source',
    'complete -c vela-ts -f',
    ...COMMANDS.map((c) => `complete -c vela-ts -n "__fish_use_subcommand" -a ${c}`),
    ...TOP.map((f) => `complete -c vela-ts -n "__fish_use_subcommand" ${fishFlag(f)}`),
    ...GLOBAL.map((f) => `complete -c vela-ts ${fishFlag(f)}`),
    ...Object.entries(WORDS).flatMap(([cmd, words]) =>
      words.map((w) => `complete -c vela-ts ${seen(cmd)} -a ${w}`),
    ),
    ...Object.entries(FLAGS).flatMap(([cmd, flags]) =>
      flags.map((f) => `complete -c vela-ts ${seen(cmd)} ${fishFlag(f)}`),
    ),
    ...FILE_ARG.map((c) => `complete -c vela-ts ${seen(c)} -F`),
  ];
  return `${lines.join('\n')}\n`;
}

export function completion(shell: string, io: IO): number {
  const scripts: Record<string, () => string> = { bash, zsh, fish };
  const make = scripts[shell];
  if (!make) throw new UsageError(`no completion for "${shell}"; choose bash, zsh or fish`);
  io.stdout.write(make());
  return 0;
}
