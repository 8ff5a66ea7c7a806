import type { Command } from 'commander';
import { examples, withRunFlags, type CommandContext } from '../flags.js';

const verbs = [
  ['resume', 'approve a suspended workflow (or continue an interrupted one) and drive it on'],
  ['suspend', 'suspend a running workflow'],
  ['terminate', 'end the workflow where it stands'],
  ['restart', 'run the workflow again from its first step'],
  ['rollback', 'end the workflow and put traffic and replicas back on the stable revision'],
] as const;

/** `workflow resume|suspend|terminate|restart|rollback`; ./workflow.ts runs them. */
export function registerWorkflow(program: Command, cli: CommandContext): void {
  const workflow = program
    .command('workflow')
    .description('resume, suspend, terminate, restart or roll back a workflow');
  for (const [verb, description] of verbs) addVerb(workflow, verb, description, `workflow ${verb}`, cli);
}

/** `rollback`, `workflow rollback` at the top level; ./workflow.ts runs it. */
export function registerRollback(program: Command, cli: CommandContext): void {
  addVerb(
    program,
    'rollback',
    'put traffic and replicas back on the revision that was stable before this rollout',
    'rollback',
    cli,
  );
}

/** One verb of the workflow under `parent`; `self` is the command as its examples spell it. */
function addVerb(
  parent: Command,
  verb: (typeof verbs)[number][0],
  description: string,
  self: string,
  { io, globals, run }: CommandContext,
) {
  const command = parent
    .command(verb)
    .description(description)
    .argument('[app]', 'app name (optional when the namespace has one vela-ts app)')
    .option('-f, --file <file>', 'name the app by its file');
  // Only the verbs that drive the workflow on take the options of a run.
  if (verb === 'resume' || verb === 'restart' || verb === 'rollback') withRunFlags(command);
  if (verb === 'rollback') {
    command.option(
      '--component <name>',
      'roll back only this component (default: every component this spec rolls out that has moved)',
    );
  }
  examples(command, [`vela-ts ${self} book-info --sandbox`, `vela-ts ${self} -f app.yaml -n shop`]);
  return command.action(
    async (
      app: string | undefined,
      o: {
        file?: string;
        yes?: boolean;
        prompt?: boolean;
        timeout?: string;
        trafficSettle?: string;
        prometheus?: string;
        component?: string;
      },
    ) =>
      run(async () =>
        (await import('./workflow.js')).workflow(
          {
            verb,
            app,
            file: o.file,
            yes: o.yes ?? false,
            noPrompt: o.prompt === false,
            timeout: o.timeout,
            settle: o.trafficSettle,
            prometheus: o.prometheus,
            component: o.component,
            globals: globals(),
          },
          io,
        ),
      ),
  );
}
