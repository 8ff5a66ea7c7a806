import { listAppSummaries, type AppSummary } from '../../engine/index.js';
import { EXIT_OK } from '../errors.js';
import { age, columns, toJson } from '../format.js';
import type { GlobalOptions } from '../globals.js';
import type { IO } from '../io.js';
import { openSession } from '../session.js';

export interface LsOptions {
  allNamespaces: boolean;
  output: 'table' | 'json';
  globals: GlobalOptions;
}

function traffic(a: AppSummary): string {
  return a.components
    .filter((c) => c.traffic)
    .map((c) => `${c.name}: ${(c.traffic ?? []).map((t) => `${t.revision} ${t.weight}%`).join(', ')}`)
    .join('; ');
}

function lsTable(apps: AppSummary[], now: number): string {
  const rows: string[][] = [
    ['NAMESPACE', 'NAME', 'PHASE', 'STEP', 'AGE', 'TRAFFIC'],
    ...apps.map((a) => [
      a.namespace,
      a.name,
      a.phase,
      a.step ?? '',
      age(now - Date.parse(a.startedAt)),
      traffic(a),
    ]),
  ];
  return columns(rows);
}

/** `vela-ts ls`: the apps of the namespace (or, with -A, of every namespace), as recorded. */
export async function ls(opts: LsOptions, io: IO): Promise<number> {
  const session = await openSession(opts.globals, io);
  try {
    const ns = opts.allNamespaces ? '' : (opts.globals.namespace ?? session.cluster.defaultNamespace);
    const apps = await listAppSummaries(session.ctx, ns);
    if (opts.output === 'json') io.stdout.write(toJson(apps));
    else if (apps.length === 0)
      io.stderr.write(`no vela-ts apps ${ns ? `in namespace ${ns}` : 'in any namespace'}\n`);
    else io.stdout.write(lsTable(apps, Date.now()));
    return EXIT_OK;
  } finally {
    await session.close();
  }
}
