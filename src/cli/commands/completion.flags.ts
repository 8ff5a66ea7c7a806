import { Argument, type Command } from 'commander';
import type { CommandContext } from '../flags.js';

/** `completion <shell>`; ./completion.ts writes the script, from the program's tree. */
export function registerCompletion(program: Command, { io, run }: CommandContext): void {
  // Its choices are what completion offers after `completion`; an unknown shell is refused by the
  // command itself, in its own words.
  const completionShells = new Argument('<shell>', 'bash, zsh or fish');
  completionShells.argChoices = ['bash', 'zsh', 'fish'];

  program
    .command('completion')
    .description('print a shell completion script')
    .addArgument(completionShells)
    .action(async (shell: string) =>
      run(async () => (await import('./completion.js')).completion(shell, program, io)),
    );
}
