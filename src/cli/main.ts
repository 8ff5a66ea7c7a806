import { Command, CommanderError, Option } from 'commander';
import { UsageError } from '../errors.js';
import { handleError, EXIT_INPUT } from './errors.js';
import { processIO, type IO } from './io.js';

/** Flags every command accepts. */
export interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  sandbox: boolean;
  color: boolean;
  verbose: boolean;
}

/**
 * Builds the command tree. Each action imports its command module only when it runs, so `render`
 * and `plan` never load the cluster client (about 600 ms) and `--help` loads nothing.
 */
export function buildProgram(io: IO, setExit: (code: number) => void): Command {
  const program = new Command('vela-ts')
    .description('Progressive (canary) rollouts of KubeVela applications through Istio, with nothing installed in the cluster')
    .version('0.1.0')
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
    .showSuggestionAfterError(true);

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const run = (load: () => Promise<number>) => async () => setExit(await load());

  program
    .command('render')
    .alias('dry-run')
    .description('print the manifests of a first deploy, without a cluster')
    .argument('<file>', 'application file')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action(async (file: string, opts: { output: 'yaml' | 'json' }) =>
      run(async () => (await import('./commands/render.js')).render({ file, output: opts.output, globals: globals() }, io))(),
    );

  program
    .command('plan')
    .description('simulate the workflow offline and show the objects after each step')
    .argument('<file>', 'application file')
    .option('--from <file>', 'the previously deployed file; the plan starts after it finished')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (file: string, opts: { from?: string; output: 'text' | 'json' }) =>
      run(async () =>
        (await import('./commands/plan.js')).plan({ file, from: opts.from, output: opts.output, globals: globals() }, io),
      )(),
    );

  program
    .command('sandbox')
    .description('the embedded Kubernetes-compatible API server')
    .command('serve')
    .description('run the sandbox API server in the foreground')
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', '0')
    .option('--kubeconfig <file>', 'write a kubeconfig for the sandbox here once it is listening')
    .option('--state <file>', 'persist objects in this file across restarts')
    .option('--ready-delay <ms>', 'milliseconds until a new pod becomes ready', '1000')
    .option('--audit-log <file>', 'one JSON line per request')
    .option('--fail-rate <r>', 'share of requests answered with a random retryable error (0..1)', '0')
    .action(async (opts: Record<string, string | undefined>) =>
      run(async () => (await import('./commands/sandbox.js')).serve(opts, io))(),
    );

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
      return err.exitCode === 0 ? 0 : EXIT_INPUT;
    }
    if (err instanceof UsageError) return handleError(err, write, false);
    return handleError(err, write, program.opts<GlobalOptions>().verbose);
  }
}
