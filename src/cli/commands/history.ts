import { pickApp, revisionHistory, type RevisionEntry } from '../../engine/index.js';
import { EXIT_OK } from '../errors.js';
import { columns, toJson } from '../format.js';
import type { GlobalOptions } from '../globals.js';
import type { IO } from '../io.js';
import { openSession } from '../session.js';

export interface HistoryOptions {
  app?: string;
  output: 'table' | 'json';
  globals: GlobalOptions;
}

function table(entries: RevisionEntry[]): string {
  const rows: string[][] = [
    ['COMPONENT', 'REVISION', 'IMAGE', 'RECORDED', 'LIVE', 'TRAFFIC', 'ROLE'],
    ...entries.map((e) => [
      e.component,
      e.revision,
      e.image ?? '',
      e.recorded ?? '',
      e.live ? (e.replicas !== undefined ? `yes (${e.replicas})` : 'yes') : 'no',
      e.weight !== undefined ? `${e.weight}%` : '',
      [e.stable ? 'stable' : '', e.current ? 'current' : ''].filter(Boolean).join(', '),
    ]),
  ];
  return columns(rows);
}

/** `vela-ts history APP`: every revision of every component, with its image, when it was recorded, and which run. */
export async function history(opts: HistoryOptions, io: IO): Promise<number> {
  const session = await openSession(opts.globals, io);
  try {
    const ns = opts.globals.namespace ?? session.cluster.defaultNamespace;
    const app = await pickApp(session.ctx, ns, opts.app);
    const entries = await revisionHistory(session.ctx, ns, app);
    io.stdout.write(opts.output === 'json' ? toJson(entries) : table(entries));
    return EXIT_OK;
  } finally {
    await session.close();
  }
}
