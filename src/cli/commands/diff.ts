import { diff as runDiff } from '../../engine/index.js';
import { DiffFailed, EXIT_DIFF_CHANGES, EXIT_OK } from '../errors.js';
import type { IO } from '../io.js';
import { loadAppFile, locateRefusal, resolveNamespace } from '../load.js';
import type { GlobalOptions } from '../globals.js';
import { openSession } from '../session.js';

export interface DiffOptions {
  file: string;
  globals: GlobalOptions;
}

/**
 * How the cluster would change once `up` FILE has run its whole workflow, checked by the server
 * with dryRun=All. Exit 0: none, 1: some, as `kubectl diff`; and as there, 1 is kept for changes:
 * bad input exits 2 and any other failure 3 (`DiffFailed`).
 */
export async function diff(opts: DiffOptions, io: IO): Promise<number> {
  try {
    return await report(opts, io);
  } catch (err) {
    throw new DiffFailed(err);
  }
}

async function report(opts: DiffOptions, io: IO): Promise<number> {
  const parsed = await loadAppFile(opts.file, io.stdin);
  const session = await openSession(opts.globals, io);
  try {
    const ns = resolveNamespace(parsed, opts.globals.namespace, session.cluster.defaultNamespace);
    const report = await runDiff(session.ctx, parsed.app, ns).catch((err: unknown) => {
      throw locateRefusal(parsed, err);
    });
    const out = (line: string) => io.stdout.write(`${line}\n`);
    if (report.specChanged)
      out(`${parsed.app.name}: the spec changed; up would run ${report.steps.join(', ')}. After it:`);
    else out(`${parsed.app.name}: the spec is unchanged; where the cluster differs from it:`);
    for (const c of report.changes) {
      const fields =
        c.fields.length > 0
          ? `  (${c.fields.slice(0, 6).join(', ')}${c.fields.length > 6 ? ', ...' : ''})`
          : '';
      out(`${c.action === 'create' ? '+' : '~'} ${c.object}${fields}`);
    }
    for (const d of report.deleted) out(`- ${d}`);
    const some = report.changes.length + report.deleted.length > 0;
    if (!some) out('  no changes');
    return some ? EXIT_DIFF_CHANGES : EXIT_OK;
  } finally {
    await session.close();
  }
}
