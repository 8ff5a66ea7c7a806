import type { Command } from 'commander';
import type { CommandContext } from '../flags.js';

/** `sandbox serve`; ./sandbox.ts runs it. */
export function registerSandbox(program: Command, { io, globals, run }: CommandContext): void {
  program
    .command('sandbox')
    .description('the embedded Kubernetes-compatible API server')
    .command('serve')
    .description('run the sandbox API server in the foreground')
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', '0')
    .option('--kubeconfig <file>', 'write a kubeconfig for the sandbox here once it is listening')
    .option('--state <file>', 'persist objects in this file across restarts')
    .option('--ready-delay <ms>', 'milliseconds until a new pod becomes ready', '1000')
    .option(
      '--termination-grace <ms>',
      'milliseconds a deleted pod is shown Terminating before it is removed',
      '1000',
    )
    .option('--audit-log <file>', 'one JSON line per request')
    .option('--fail-rate <r>', 'share of requests answered with a random retryable error (0..1)', '0')
    .option(
      '--prometheus',
      'run a real Prometheus scraping the simulated mesh telemetry (Service istio-system/prometheus:9090)',
    )
    .option('--traffic-rps <n>', 'simulated requests a second per VirtualService', '20')
    .option(
      '--metrics-port <n>',
      'serve the simulated mesh telemetry at http://127.0.0.1:<n>/metrics (0: any)',
    )
    .option(
      '--user <name>',
      'also serve this user (repeatable): a token and a kubeconfig context <name>@vela-ts-sandbox, authorized by RBAC',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .action(async (opts: Record<string, string | boolean | string[] | undefined>) =>
      // The program's global --kubeconfig also claims the flag after `sandbox serve`; take it from there.
      run(async () =>
        (await import('./sandbox.js')).serve(
          { ...opts, kubeconfig: opts.kubeconfig ?? globals().kubeconfig },
          io,
        ),
      ),
    );
}
