import { UsageError } from '../../errors.js';
import type { IO } from '../io.js';

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
const WORKFLOW = ['resume', 'suspend', 'terminate', 'restart', 'rollback'];
const GLOBAL = [
  '--kubeconfig',
  '--context',
  '--namespace',
  '-n',
  '--sandbox',
  '--no-color',
  '--verbose',
  '--help',
];
const FLAGS: Record<string, string[]> = {
  up: ['--yes', '--no-prompt', '--timeout', '--force'],
  status: ['--file', '-f', '--output', '-o', '--watch', '-w'],
  workflow: ['--file', '-f', '--yes', '--no-prompt', '--timeout'],
  rollback: ['--file', '-f', '--yes', '--no-prompt', '--timeout'],
  render: ['--output', '-o'],
  'dry-run': ['--output', '-o'],
  plan: ['--from', '--output', '-o'],
  diff: [],
  completion: [],
  sandbox: ['serve', '--port', '--state', '--ready-delay', '--audit-log', '--fail-rate'],
};

function bash(): string {
  const cases = Object.entries(FLAGS)
    .map(
      ([cmd, flags]) =>
        `    ${cmd}) opts="${[...flags, ...GLOBAL].join(' ')}${cmd === 'workflow' ? ` ${WORKFLOW.join(' ')}` : ''}${cmd === 'completion' ? ' bash zsh fish' : ''}" ;;`,
    )
    .join('\n');
  return `# vela-ts bash completion: eval "$(vela-ts completion bash)"
_vela_ts() {
  local cur cmd opts
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${COMMANDS.join(' ')} ${GLOBAL.join(' ')}" -- "$cur") )
    return
  fi
  case "$cmd" in
${cases}
    *) opts="${GLOBAL.join(' ')}" ;;
  esac
  if [[ "$cur" == -* ]] || [ "$cmd" = workflow ] || [ "$cmd" = completion ]; then
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

function fish(): string {
  const lines = [
    '# vela-ts fish completion: vela-ts completion fish | source',
    'complete -c vela-ts -f',
    ...COMMANDS.map((c) => `complete -c vela-ts -n "__fish_use_subcommand" -a ${c}`),
    ...WORKFLOW.map((v) => `complete -c vela-ts -n "__fish_seen_subcommand_from workflow" -a ${v}`),
    ...['bash', 'zsh', 'fish'].map(
      (s) => `complete -c vela-ts -n "__fish_seen_subcommand_from completion" -a ${s}`,
    ),
    ...GLOBAL.filter((f) => f.startsWith('--')).map((f) => `complete -c vela-ts -l ${f.slice(2)}`),
    ...Object.entries(FLAGS).flatMap(([cmd, flags]) =>
      flags
        .filter((f) => f.startsWith('--'))
        .map((f) => `complete -c vela-ts -n "__fish_seen_subcommand_from ${cmd}" -l ${f.slice(2)}`),
    ),
    ...['up', 'render', 'dry-run', 'plan', 'diff'].map(
      (c) => `complete -c vela-ts -n "__fish_seen_subcommand_from ${c}" -F`,
    ),
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
