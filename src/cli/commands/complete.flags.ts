import type { Command } from 'commander';
import type { CommandContext } from '../flags.js';

/** `__complete`; ./complete.ts answers it. */
export function registerComplete(program: Command, { io, globals, run }: CommandContext): void {
  // What the completion scripts ask the cluster for (hidden: not a command people type).
  program
    .command('__complete', { hidden: true })
    .argument('<what>', 'apps, components APP or namespaces')
    .argument('[app]')
    .action(async (what: string, app: string | undefined) =>
      run(async () =>
        (await import('./complete.js')).complete(
          what as 'apps' | 'components' | 'namespaces',
          app,
          globals(),
          io,
        ),
      ),
    );
}
