import { Option, type Command } from 'commander';
import { examples, type CommandContext } from '../flags.js';

/** `status`; ./status.ts runs it. */
export function registerStatus(program: Command, { io, globals, run }: CommandContext): void {
  const statusCommand = program
    .command('status')
    .description("show an app's workflow, revisions, replicas and traffic")
    .argument('[app]', 'app name (optional when the namespace has one vela-ts app)')
    .option('-f, --file <file>', 'name the app by its file')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['table', 'json', 'yaml'])
        .default('table'),
    )
    .option(
      '-w, --watch',
      'follow the workflow through readiness waits, metric gates and timed pauses until an approval gate or the end',
      false,
    )
    .addOption(
      new Option('--until <when>', 'with --watch: stop at a gate (gate) or only at the end (done)')
        .choices(['gate', 'done'])
        .default('gate'),
    )
    .option('--timeout <duration>', 'with --watch: give up after this long, exit 1 (default: no limit)')
    .action(
      async (
        app: string | undefined,
        o: {
          file?: string;
          output: 'table' | 'json' | 'yaml';
          watch: boolean;
          until: 'gate' | 'done';
          timeout?: string;
        },
      ) =>
        run(async () =>
          (await import('./status.js')).status(
            {
              app,
              file: o.file,
              output: o.output,
              watch: o.watch,
              until: o.until,
              ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
              globals: globals(),
            },
            io,
          ),
        ),
    );

  examples(statusCommand, [
    'vela-ts status book-info --sandbox',
    'vela-ts status -f app.yaml -o json',
    'vela-ts status book-info --watch          # CI: wait until a gate or the end',
    'vela-ts status book-info -w --until done --timeout 30m',
  ]);
}
