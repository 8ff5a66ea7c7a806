import type { Command } from 'commander';
import { examples, fileArgument, withFile, withRunFlags, type CommandContext } from '../flags.js';

/** `up`; ./up.ts runs it. */
export function registerUp(program: Command, { io, globals, run }: CommandContext): void {
  const up = withFile(program.command('up').description('apply FILE and run its workflow'))
    .option('--force', 'take over objects vela-ts does not manage', false)
    .option('--create-namespace', "create the app's namespace if it is missing", false)
    .option(
      '--no-mesh-check',
      'do not refuse a namespace without Istio sidecar injection (the callers are meshed some other way)',
    );
  withRunFlags(up).action(
    async (
      arg: string | undefined,
      o: {
        file?: string;
        yes: boolean;
        prompt: boolean;
        timeout: string;
        force: boolean;
        createNamespace: boolean;
        trafficSettle?: string;
        prometheus?: string;
        meshCheck: boolean;
      },
    ) =>
      run(async () =>
        (await import('./up.js')).up(
          {
            file: fileArgument(arg, o.file),
            yes: o.yes,
            noPrompt: !o.prompt,
            timeout: o.timeout,
            force: o.force,
            createNamespace: o.createNamespace,
            skipMeshCheck: !o.meshCheck,
            settle: o.trafficSettle,
            prometheus: o.prometheus,
            globals: globals(),
          },
          io,
        ),
      ),
  );

  examples(up, [
    'vela-ts up examples/bookinfo/first-deploy.yaml --sandbox',
    'vela-ts up -f app.yaml --kubeconfig ~/.kube/prod -n shop',
    'vela-ts up app.yaml --no-prompt           # CI: stop at the approval gate, exit 0',
    'vela-ts up app.yaml --yes --timeout 15m   # CI: approve every gate',
  ]);
}
