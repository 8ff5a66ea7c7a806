import { Option, type Command } from 'commander';
import { examples, fileArgument, withFile, type CommandContext } from '../flags.js';

/** `plan`; ./plan.ts runs it. */
export function registerPlan(program: Command, { io, globals, run }: CommandContext): void {
  const plan = withFile(
    program.command('plan').description('simulate the workflow offline and show what each step changes'),
  )
    .option(
      '--from <file>',
      'a file deployed before (repeat for a history, oldest first); the plan starts after it finished',
      (value: string, earlier: string[]) => [...earlier, value],
      [] as string[],
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--show-objects', 'also every object after every step, not only the ones that change', false)
    .action(
      async (
        arg: string | undefined,
        opts: { file?: string; from: string[]; output: 'text' | 'json'; showObjects: boolean },
      ) =>
        run(async () =>
          (await import('./plan.js')).plan(
            {
              file: fileArgument(arg, opts.file),
              from: opts.from,
              output: opts.output,
              showObjects: opts.showObjects,
              globals: globals(),
            },
            io,
          ),
        ),
    );
  examples(plan, [
    'vela-ts plan rollout-v2.yaml --from first-deploy.yaml',
    'vela-ts plan rollback.yaml --from first-deploy.yaml --from rollout-v2.yaml -o json',
  ]);
}
