/**
 * `vela-ts sandbox serve` as a child process (the built binary), for tests that kill it, restart
 * it, or look at the files it leaves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { binPath } from '../helpers/cli.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { raw } from './helpers.js';

export interface Served {
  child: ChildProcess;
  /** What `raw` needs to reach it. */
  sb: Pick<Sandbox, 'url' | 'caPem' | 'token'>;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code, or the signal that ended it. */
  exited: Promise<number | string>;
}

const running = new Set<ChildProcess>();

/**
 * Cleanup for afterEach: SIGKILLs any server a test left running (one that ignored its SIGTERM
 * fails its test; it must not outlive it).
 */
export function killLeftovers(): void {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  running.clear();
}

/**
 * Starts `sandbox serve --kubeconfig <kubeconfig> ...args` and resolves once it prints its
 * kubeconfig line (it is listening by then). `umask` runs it under that umask.
 */
export async function serve(
  kubeconfig: string,
  args: string[],
  opts: { umask?: string } = {},
): Promise<Served> {
  const argv = [binPath, 'sandbox', 'serve', '--kubeconfig', kubeconfig, ...args];
  const child =
    opts.umask === undefined
      ? spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('sh', ['-c', `umask ${opts.umask} && exec "$0" "$@"`, process.execPath, ...argv], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  running.add(child);
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('kubeconfig: ')) resolve();
    });
    void exited.then((how) => reject(new Error(`sandbox serve exited early (${how}): ${err}`)));
  });
  const kc = new KubeConfig();
  kc.loadFromString(readFileSync(kubeconfig, 'utf8'));
  const cluster = kc.getCurrentCluster()!;
  return {
    child,
    sb: {
      url: cluster.server,
      caPem: Buffer.from(cluster.caData!, 'base64').toString(),
      token: kc.getCurrentUser()!.token!,
    },
    stdout: () => out,
    stderr: () => err,
    exited,
  };
}

/** `raw` against a served sandbox (raw reads only its url, CA and token). */
export function request(s: Served, method: string, urlPath: string, opts: Parameters<typeof raw>[3] = {}) {
  return raw(s.sb, method, urlPath, opts);
}
