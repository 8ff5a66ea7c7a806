import { Option, type Command } from 'commander';
import { examples, type CommandContext } from '../flags.js';

/** `ls`; ./ls.ts runs it. */
export function registerLs(program: Command, { io, globals, run }: CommandContext): void {
  const list = program
    .command('ls')
    .description('list the vela-ts apps of the namespace (or of all namespaces with -A)')
    .option('-A, --all-namespaces', 'every namespace the identity may list', false)
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .action(async (o: { allNamespaces: boolean; output: 'table' | 'json' }) =>
      run(async () =>
        (await import('./ls.js')).ls(
          { allNamespaces: o.allNamespaces, output: o.output, globals: globals() },
          io,
        ),
      ),
    );
  examples(list, ['vela-ts ls --sandbox', 'vela-ts ls -A -o json']);
}
