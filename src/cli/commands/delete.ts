import { createInterface } from 'node:readline/promises';
import { deleteApp, pickApp } from '../../engine/index.js';
import { UsageError } from '../../errors.js';
import { EXIT_OK } from '../errors.js';
import type { GlobalOptions } from '../globals.js';
import type { IO } from '../io.js';
import { loadAppFile, resolveNamespace } from '../load.js';
import { openSession } from '../session.js';

export interface DeleteOptions {
  app?: string;
  file?: string;
  yes: boolean;
  force: boolean;
  globals: GlobalOptions;
}

/**
 * `vela-ts delete APP`: asks on a terminal; without one it needs --yes (a CI job says so
 * explicitly), and nothing is deleted otherwise.
 */
export async function deleteCommand(opts: DeleteOptions, io: IO): Promise<number> {
  const parsed = opts.file ? await loadAppFile(opts.file, io) : undefined;
  const terminal = Boolean(io.stdin.isTTY) && Boolean(io.stdout.isTTY);
  if (!opts.yes && !terminal) {
    throw new UsageError(
      'delete removes everything vela-ts made for the app: without a terminal to ask on, pass --yes',
    );
  }
  const session = await openSession(opts.globals, io);
  try {
    const ns = parsed
      ? resolveNamespace(parsed, opts.globals.namespace, session.cluster.defaultNamespace)
      : (opts.globals.namespace ?? session.cluster.defaultNamespace);
    const app = await pickApp(session.ctx, ns, opts.app ?? parsed?.app.name);
    if (!opts.yes) {
      const rl = createInterface({ input: io.stdin, output: io.stdout });
      const answer = (
        await rl.question(`Delete app ${app} in namespace ${ns} and everything vela-ts made for it? [y/N] `)
      )
        .trim()
        .toLowerCase();
      rl.close();
      if (answer !== 'y' && answer !== 'yes') {
        io.stdout.write(`${app}: nothing was deleted.\n`);
        return EXIT_OK;
      }
    }
    const deleted = await deleteApp(session.ctx, ns, app, opts.force);
    io.stdout.write(`${app}: deleted ${deleted.join(', ')}.\n`);
    return EXIT_OK;
  } finally {
    await session.close();
  }
}
