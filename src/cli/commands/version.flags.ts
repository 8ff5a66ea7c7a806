import { Option, type Command } from 'commander';
import { examples, type CommandContext } from '../flags.js';

/** `version`; ./version.ts runs it. */
export function registerVersion(program: Command, { io, globals, run }: CommandContext): void {
  const versionCommand = program
    .command('version')
    .description(
      "print the client's version and, when the cluster answers, the server's (as kubectl version)",
    )
    .option('--client', "the client's version only; no cluster is asked", false)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (o: { client: boolean; output: 'text' | 'json' }) =>
      run(async () =>
        (await import('./version.js')).version(
          { client: o.client, output: o.output, globals: globals() },
          io,
        ),
      ),
    );
  examples(versionCommand, [
    'vela-ts version --sandbox',
    'vela-ts version --kubeconfig ~/.kube/prod -o json',
    'vela-ts version --client',
  ]);
}
