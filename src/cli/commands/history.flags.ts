import { Option, type Command } from 'commander';
import { examples, type CommandContext } from '../flags.js';

/** `history`; ./history.ts runs it. */
export function registerHistory(program: Command, { io, globals, run }: CommandContext): void {
  const hist = program
    .command('history')
    .description("an app's revisions: image, when each was recorded, which run and take traffic")
    .argument('[app]', 'app name (optional when the namespace has one vela-ts app)')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .action(async (app: string | undefined, o: { output: 'table' | 'json' }) =>
      run(async () =>
        (await import('./history.js')).history({ app, output: o.output, globals: globals() }, io),
      ),
    );
  examples(hist, ['vela-ts history book-info --sandbox', 'vela-ts history book-info -o json']);
}
