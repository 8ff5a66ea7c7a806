import path from 'node:path';
import { UsageError } from '../../errors.js';
import type { IO } from '../io.js';
import { EXIT_OK } from '../errors.js';

export interface ServeOptions {
  port: number;
  kubeconfigPath: string;
  statePath?: string;
  readyDelayMs: number;
  auditLogPath?: string;
  failRate: number;
}

/** Flags -> options; every problem is a usage error (exit 2). */
export function parseServeOptions(opts: Record<string, string | undefined>, cwd: string): ServeOptions {
  const int = (name: string, v: string | undefined, def: number, max: number) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > max)
      throw new UsageError(`--${name} must be an integer from 0 to ${max}, not "${v}"`);
    return n;
  };
  const failRate = opts.failRate === undefined ? 0 : Number(opts.failRate);
  if (!(failRate >= 0 && failRate <= 1))
    throw new UsageError(`--fail-rate must be a number from 0 to 1, not "${opts.failRate}"`);
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(cwd, p));
  return {
    port: int('port', opts.port, 0, 65535),
    // The token must never be printed, so the kubeconfig always goes to a file.
    kubeconfigPath: abs(opts.kubeconfig) ?? path.join(cwd, '.vela-ts', 'sandbox.kubeconfig'),
    statePath: abs(opts.state),
    readyDelayMs: int('ready-delay', opts.readyDelay, 1000, 24 * 60 * 60 * 1000),
    auditLogPath: abs(opts.auditLog),
    failRate,
  };
}

/** Runs the sandbox until `until` settles (a signal), then stops it cleanly, saving state. */
async function serveUntil(
  o: ServeOptions,
  io: IO,
  until: (ready: () => void) => Promise<string>,
): Promise<number> {
  const { startSandbox, SANDBOX_BANNER, SandboxFileError } = await import('../../sandbox/index.js');
  // A state file is served by one process at a time; `--sandbox` commands in its folder join this one.
  const { shareSandbox, BAD_STATE_PATH } = await import('../../cluster/sandbox-share.js');
  const share = o.statePath
    ? await shareSandbox(o.statePath, { ownerOnly: true }).catch((e: unknown) => {
        if ((e as { reason?: string }).reason === BAD_STATE_PATH)
          throw new UsageError(`--state: ${(e as Error).message}`);
        throw e;
      })
    : undefined;
  const sb = await startSandbox({
    port: o.port,
    kubeconfigPath: o.kubeconfigPath,
    statePath: o.statePath,
    readyDelayMs: o.readyDelayMs,
    auditLogPath: o.auditLogPath,
    failRate: o.failRate,
  }).catch(async (e: unknown) => {
    await share?.release();
    // A path given on the command line that cannot be written is the user's input: exit 2.
    if (e instanceof SandboxFileError) throw new UsageError(`--${e.role}: ${e.message}`);
    throw e;
  });
  if (share?.role === 'owner') await share.serving(o.kubeconfigPath);
  io.stdout.write(`${SANDBOX_BANNER}\n`);
  io.stdout.write(`listening on ${sb.url}\n`);
  io.stdout.write(`kubeconfig: ${o.kubeconfigPath}\n`);
  if (o.statePath) io.stdout.write(`state: ${o.statePath}\n`);
  if (o.auditLogPath) io.stdout.write(`audit log: ${o.auditLogPath}\n`);
  if (o.failRate > 0)
    io.stdout.write(
      `failing ${Math.round(o.failRate * 100)}% of resource requests on purpose (--fail-rate)\n`,
    );
  io.stdout.write(`try: kubectl --kubeconfig ${o.kubeconfigPath} get pods\n`);
  const signal = await until(() => undefined);
  // Stopped on purpose: the commands using it stop too (their work so far is saved).
  if (share?.role === 'owner') await share.drain({ now: true });
  await sb.close();
  await share?.release();
  io.stderr.write(`sandbox stopped (${signal})${o.statePath ? `; state saved to ${o.statePath}` : ''}\n`);
  return EXIT_OK;
}

export async function serve(opts: Record<string, string | undefined>, io: IO): Promise<number> {
  const o = parseServeOptions(opts, io.cwd);
  return serveUntil(
    o,
    io,
    () =>
      new Promise<string>((resolve) => {
        const stop = (sig: string) => () => {
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          resolve(sig);
        };
        const onInt = stop('SIGINT');
        const onTerm = stop('SIGTERM');
        process.once('SIGINT', onInt);
        process.once('SIGTERM', onTerm);
      }),
  );
}
