import { nextChange, observe, pickApp, type StatusReport } from '../../engine/index.js';
import { toJson } from '../format.js';
import type { IO } from '../io.js';
import { loadAppFile, resolveNamespace } from '../load.js';
import type { GlobalOptions } from '../globals.js';
import { connectionFlags } from '../gate.js';
import { openSession } from '../session.js';
import { statusTable, statusYaml } from '../status-table.js';
import { EXIT_FAILED, EXIT_OK } from '../errors.js';

export interface StatusOptions {
  app?: string;
  file?: string;
  output: 'table' | 'json' | 'yaml';
  watch: boolean;
  globals: GlobalOptions;
}

const exitCode = (r: StatusReport) => (r.workflow.phase === 'failed' ? EXIT_FAILED : EXIT_OK);

export async function status(opts: StatusOptions, io: IO): Promise<number> {
  // -f names the app by its file, and the file may say its namespace too.
  const parsed = opts.file ? await loadAppFile(opts.file) : undefined;
  const named = opts.app ?? parsed?.app.name;
  const session = await openSession(opts.globals, io);
  try {
    const ns = parsed
      ? resolveNamespace(parsed, opts.globals.namespace, session.cluster.defaultNamespace)
      : (opts.globals.namespace ?? session.cluster.defaultNamespace);
    const app = await pickApp(session.ctx, ns, named);
    const connection = connectionFlags(opts.globals);
    const render = (r: StatusReport) =>
      opts.output === 'json'
        ? toJson(r)
        : opts.output === 'yaml'
          ? statusYaml(r)
          : statusTable(r, connection);
    let seen = await observe(session.ctx, ns, app);
    let report = seen.report;
    io.stdout.write(render(report));
    // --watch follows the workflow until it stops moving (suspended for approval, or over), so a
    // CI job can wait on it; on a terminal the table is redrawn in place.
    // A running workflow with nobody driving it will not move: waiting on it would never end.
    while (opts.watch && report.workflow.phase === 'running' && report.driver !== null) {
      await nextChange(session.ctx, ns, app, seen, 10 * 60_000);
      seen = await observe(session.ctx, ns, app);
      report = seen.report;
      const redraw = io.stdout.isTTY && opts.output === 'table';
      io.stdout.write(redraw ? `\x1b[H\x1b[2J${render(report)}` : `---\n${render(report)}`);
    }
    if (opts.watch && report.workflow.phase === 'running' && report.driver === null) {
      io.stderr.write(
        `${app}: the workflow is running but nobody drives it (the run was interrupted); continue it with \`vela-ts workflow resume ${app} -n ${ns}${connection}\`\n`,
      );
      return EXIT_FAILED;
    }
    return exitCode(report);
  } finally {
    await session.close();
  }
}
