/**
 * `vela-ts __complete apps|components APP|namespaces`: the names the completion scripts offer,
 * read from the cluster with the command line's own connection flags. One name a line; never an
 * error on the terminal (a completion that fails offers nothing), and bounded by a short timeout.
 */
import { loadState, listApps } from '../../engine/store.js';
import { trait } from '../../compile/index.js';
import type { GlobalOptions } from '../globals.js';
import type { IO } from '../io.js';
import { openSession } from '../session.js';
import { EXIT_OK } from '../errors.js';

export type CompletionQuery = 'apps' | 'components' | 'namespaces';

export async function complete(
  what: CompletionQuery,
  app: string | undefined,
  globals: GlobalOptions,
  io: IO,
): Promise<number> {
  let names: string[] = [];
  try {
    const quiet: IO = {
      ...io,
      stderr: Object.assign(new (await import('node:stream')).PassThrough(), { isTTY: false }),
    };
    const session = await openSession({ ...globals, color: false, verbose: false }, quiet, { timeout: '3s' });
    try {
      const cluster = session.cluster;
      const ns = globals.namespace ?? cluster.defaultNamespace;
      if (what === 'apps') names = await listApps(cluster, ns);
      else if (what === 'namespaces')
        names = (await cluster.list({ apiVersion: 'v1', kind: 'Namespace' }, '')).items.map(
          (n) => n.metadata.name,
        );
      else if (app) {
        const stored = await loadState(cluster, ns, app);
        // Only the components --component can name: those with a rollout trait.
        names = (stored?.state.app.components ?? []).filter((c) => trait(c, 'rollout')).map((c) => c.name);
      }
    } finally {
      await session.close();
    }
  } catch {
    names = [];
  }
  if (names.length > 0) io.stdout.write(`${names.join('\n')}\n`);
  return EXIT_OK;
}
