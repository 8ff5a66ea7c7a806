/**
 * The program: its global flags, where commander writes, how an error ends a run, and `main()`.
 *
 * Each command declares itself (arguments, flags, help examples, action) in
 * `commands/<name>.flags.ts`, beside `commands/<name>.ts`, which runs it. Two files a command,
 * because of start-up: bin/vela-ts.js runs one esbuild bundle (scripts/bundle.js), in which a module
 * imported statically is initialised with the program, and one reached by `await import()` only
 * when that import runs. commander needs every declaration before it parses (and --help and
 * completion list them all), so this file imports each of them statically; a declaration may
 * therefore import only commander, types (`import type`) and the light helpers of flags.ts, and its
 * action does `await import('./<name>.js')`. The run module keeps plain static imports of what it
 * needs (compile, the engine, the cluster client, the sandbox), and only its own command pays for
 * them. Holding both in one file would need every run function to import its dependencies
 * dynamically, and the helpers beside it to be handed them.
 */
import { Command, CommanderError } from 'commander';
import { UsageError } from '../errors.js';
import { CLIENT_VERSION } from './client-version.js';
import { registerComplete } from './commands/complete.flags.js';
import { registerCompletion } from './commands/completion.flags.js';
import { registerDelete } from './commands/delete.flags.js';
import { registerDiff } from './commands/diff.flags.js';
import { registerHistory } from './commands/history.flags.js';
import { registerLs } from './commands/ls.flags.js';
import { registerPlan } from './commands/plan.flags.js';
import { registerRender } from './commands/render.flags.js';
import { registerSandbox } from './commands/sandbox.flags.js';
import { registerStatus } from './commands/status.flags.js';
import { registerUp } from './commands/up.flags.js';
import { registerVersion } from './commands/version.flags.js';
import { registerRollback, registerWorkflow } from './commands/workflow.flags.js';
import { handleError, EXIT_INPUT, EXIT_OK } from './errors.js';
import type { CommandContext } from './flags.js';
import type { GlobalOptions } from './globals.js';
import { processIO, type IO } from './io.js';

/**
 * Builds the command tree: the program's own flags and output, then each command from its
 * declaration (commands/<name>.flags.ts). An action imports its command module only when it runs,
 * so `render` and `plan` never load the cluster client (about 600 ms) and `--help` runs none of
 * the command modules.
 */
export function buildProgram(io: IO, setExit: (code: number) => void): Command {
  const program = new Command('vela-ts')
    .description(
      'Progressive (canary) rollouts of KubeVela applications through Istio, with nothing installed in the cluster',
    )
    .version(CLIENT_VERSION)
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-n, --namespace <ns>', 'namespace (default: the file, then the context, then "default")')
    .option('--sandbox', 'use the embedded sandbox cluster, state under .vela-ts/', false)
    .option('--no-color', 'no colours')
    .option('--verbose', 'more detail in errors', false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showSuggestionAfterError(true)
    // Every subcommand's --help lists the global flags too (--sandbox, --kubeconfig, ...).
    .configureHelp({ showGlobalOptions: true });

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const cli: CommandContext = { io, globals, run: async (load) => setExit(await load()) };

  // The commands, in the order --help lists them.
  registerRender(program, cli);
  registerPlan(program, cli);
  registerUp(program, cli);
  registerStatus(program, cli);
  registerLs(program, cli);
  registerHistory(program, cli);
  registerDelete(program, cli);
  registerWorkflow(program, cli);
  registerRollback(program, cli);
  registerDiff(program, cli);
  registerVersion(program, cli);
  registerCompletion(program, cli);
  registerComplete(program, cli);
  registerSandbox(program, cli);

  return program;
}

export async function main(argv: string[], io: IO = processIO()): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => (exitCode = code));
  const write = (line: string) => io.stderr.write(`${line}\n`);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? EXIT_OK : EXIT_INPUT;
    }
    if (err instanceof UsageError) return handleError(err, write, false);
    return handleError(err, write, program.opts<GlobalOptions>().verbose);
  }
}
