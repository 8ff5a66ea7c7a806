import { Option, type Command } from 'commander';
import { examples, fileArgument, withFile, type CommandContext } from '../flags.js';

/** `render` (alias `dry-run`); ./render.ts runs it. */
export function registerRender(program: Command, { io, globals, run }: CommandContext): void {
  const render = withFile(
    program
      .command('render')
      .alias('dry-run')
      .description('print the manifests of a first deploy, without a cluster'),
  )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action(async (arg: string | undefined, opts: { file?: string; output: 'yaml' | 'json' }) =>
      run(async () =>
        (await import('./render.js')).render(
          { file: fileArgument(arg, opts.file), output: opts.output, globals: globals() },
          io,
        ),
      ),
    );
  examples(render, [
    'vela-ts render app.yaml',
    'vela-ts render -f app.yaml -o json',
    'cat app.yaml | vela-ts render -',
  ]);
}
