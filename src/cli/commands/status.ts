import { pickApp, status as readStatus } from '../../engine/index.js';
import { toJson } from '../format.js';
import type { IO } from '../io.js';
import { loadAppFile } from '../load.js';
import type { GlobalOptions } from '../main.js';
import { openSession } from '../session.js';
import { statusTable, statusYaml } from '../summary.js';

export interface StatusOptions {
  app?: string;
  file?: string;
  output: 'table' | 'json' | 'yaml';
  globals: GlobalOptions;
}

export async function status(opts: StatusOptions, io: IO): Promise<number> {
  const named = opts.app ?? (opts.file ? (await loadAppFile(opts.file)).app.name : undefined);
  const session = await openSession(opts.globals, io);
  try {
    const ns = opts.globals.namespace ?? session.cluster.defaultNamespace;
    const app = await pickApp(session.ctx, ns, named);
    const report = await readStatus(session.ctx, ns, app);
    io.stdout.write(opts.output === 'json' ? toJson(report) : opts.output === 'yaml' ? statusYaml(report) : statusTable(report));
    return report.workflow.phase === 'failed' ? 1 : 0;
  } finally {
    await session.close();
  }
}
