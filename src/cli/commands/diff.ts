import { diff as runDiff } from '../../engine/index.js';
import type { IO } from '../io.js';
import { loadAppFile, resolveNamespace } from '../load.js';
import type { GlobalOptions } from '../main.js';
import { openSession } from '../session.js';

/** What `up` would write first, checked by the server with dryRun=All. Exit 0: none, 1: some. */
export async function diff(opts: { file: string; globals: GlobalOptions }, io: IO): Promise<number> {
  const parsed = await loadAppFile(opts.file);
  const session = await openSession(opts.globals, io);
  try {
    const ns = resolveNamespace(parsed, opts.globals.namespace, session.cluster.defaultNamespace);
    const { written, deleted } = await runDiff(session.ctx, parsed.app, ns);
    for (const w of written) io.stdout.write(`~ ${w}\n`);
    for (const d of deleted) io.stdout.write(`- ${d}\n`);
    if (written.length + deleted.length === 0) io.stdout.write(`${parsed.app.name}: no changes\n`);
    return written.length + deleted.length > 0 ? 1 : 0;
  } finally {
    await session.close();
  }
}
