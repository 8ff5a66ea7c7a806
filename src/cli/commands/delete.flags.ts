import type { Command } from 'commander';
import { examples, type CommandContext } from '../flags.js';

/** `delete`; ./delete.ts runs it. */
export function registerDelete(program: Command, { io, globals, run }: CommandContext): void {
  const del = program
    .command('delete')
    .description('delete an app and everything vela-ts made for it (routes first, its state last)')
    .argument('[app]', 'app name (optional when the namespace has one vela-ts app)')
    .option('-f, --file <file>', 'name the app by its file')
    .option('--yes', 'do not ask (needed without a terminal)', false)
    .option('--force', 'delete even while a driver holds the app', false)
    .action(async (app: string | undefined, o: { file?: string; yes: boolean; force: boolean }) =>
      run(async () =>
        (await import('./delete.js')).deleteCommand(
          { app, file: o.file, yes: o.yes, force: o.force, globals: globals() },
          io,
        ),
      ),
    );
  examples(del, ['vela-ts delete book-info --sandbox', 'vela-ts delete -f app.yaml --yes   # CI']);
}
