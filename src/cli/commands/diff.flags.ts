import { Option, type Command } from 'commander';
import { examples, fileArgument, withFile, type CommandContext } from '../flags.js';

/** `diff`; ./diff.ts runs it. */
export function registerDiff(program: Command, { io, globals, run }: CommandContext): void {
  const diff = withFile(
    program
      .command('diff')
      .description('what `up` would change (server dry-run); exit 0 none, 1 some, 3 it could not tell'),
  )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (arg: string | undefined, o: { file?: string; output: 'text' | 'json' }) =>
      run(async () =>
        (await import('./diff.js')).diff(
          { file: fileArgument(arg, o.file), output: o.output, globals: globals() },
          io,
        ),
      ),
    );
  examples(diff, [
    'vela-ts diff app.yaml',
    'vela-ts diff app.yaml -o json | jq \'.objects[] | select(.action == "update")\'',
    'vela-ts diff -f app.yaml --kubeconfig ci.yaml || echo "changes or errors: $?"',
  ]);
}
