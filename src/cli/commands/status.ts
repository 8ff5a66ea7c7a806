import { nextChange, observe, pickApp, type EngineContext, type StatusReport } from '../../engine/index.js';
import { age, toJson } from '../format.js';
import type { IO } from '../io.js';
import type { GlobalOptions } from '../globals.js';
import { connectionFlags } from '../gate.js';
import { openSession, parseTimeout } from '../session.js';
import { statusTable, statusYaml } from '../status-table.js';
import { EXIT_FAILED, EXIT_OK } from '../errors.js';

export interface StatusOptions {
  app?: string;
  file?: string;
  output: 'table' | 'json' | 'yaml';
  watch: boolean;
  /** --until: `gate` stops at an approval gate (or the end); `done` only at the end. */
  until?: 'gate' | 'done';
  /** --timeout for --watch; undefined: no limit. */
  timeout?: string;
  globals: GlobalOptions;
}

const exitCode = (r: StatusReport) => (r.workflow.phase === 'failed' ? EXIT_FAILED : EXIT_OK);

export async function status(opts: StatusOptions, io: IO): Promise<number> {
  // -f names the app by its file, and the file may say its namespace too. Only then is the
  // file's parser loaded: `status APP` never needs it.
  const load = opts.file ? await import('../load.js') : undefined;
  const parsed = load && opts.file ? await load.loadAppFile(opts.file) : undefined;
  const named = opts.app ?? parsed?.app.name;
  const session = await openSession(opts.globals, io);
  try {
    const ns =
      load && parsed
        ? load.resolveNamespace(parsed, opts.globals.namespace, session.cluster.defaultNamespace)
        : (opts.globals.namespace ?? session.cluster.defaultNamespace);
    const app = await pickApp(session.ctx, ns, named);
    const connection = connectionFlags(opts.globals);
    const render = (r: StatusReport) =>
      opts.output === 'json'
        ? toJson(r)
        : opts.output === 'yaml'
          ? statusYaml(r)
          : statusTable(r, connection);
    if (!opts.watch) {
      const report = (await observe(session.ctx, ns, app)).report;
      io.stdout.write(render(report));
      return exitCode(report);
    }
    return await watch(session.ctx, ns, app, opts, io, render, connection);
  } finally {
    await session.close();
  }
}

/** How long past a timed pause's end a watcher waits for its driver to go on before saying nobody will. */
const OVERDUE_MS = 30_000;

/**
 * Whether the workflow will move on without a person: it runs with a driver, it soaks in a timed
 * pause, or (`--until done`) it waits at a gate someone may approve.
 */
function stillMoving(r: StatusReport, until: 'gate' | 'done', now: number): 'moving' | 'stopped' | 'stuck' {
  const wf = r.workflow;
  if (wf.phase === 'running') return r.driver === null ? 'stuck' : 'moving';
  if (wf.phase !== 'suspended') return 'stopped';
  if (wf.resumeAt) return Date.parse(wf.resumeAt) + OVERDUE_MS < now ? 'stuck' : 'moving';
  return until === 'done' ? 'moving' : 'stopped';
}

/** One line for a log: what changed, where the workflow stands, and the live split. */
function changeLine(r: StatusReport, now: Date): string {
  const at = r.workflow.current;
  const step = at ? ` step ${at.index}/${at.count} ${at.name}` : '';
  const msg = r.workflow.steps.find((s) => s.name === at?.name)?.message?.split('\n')[0];
  const split = r.components
    .filter((c) => c.traffic || c.revisions.length > 1)
    .map(
      (c) =>
        `${c.name}: ${c.revisions
          .map((v) => {
            const w = c.traffic?.find((t) => t.revision === v.name)?.weight;
            return `${v.name} ${v.readyReplicas}/${v.replicas}${c.traffic ? ` ${w ?? 0}%` : ''}`;
          })
          .join(', ')}`,
    )
    .join('; ');
  return `${now.toISOString().replace(/\.\d+Z$/, 'Z')} ${r.workflow.phase}${step}${msg ? `: ${msg}` : ''}${split ? ` | ${split}` : ''}\n`;
}

/**
 * `status --watch`: follows the workflow on every watch event of its state and Deployments,
 * through readiness waits, metric gates and timed soaks, and ends at an approval gate, at the end
 * or on failure (`--until done`: only at the end). On a terminal the table is redrawn in place
 * with a clock and traffic bars, ticking every second; in a pipe, the first report in full and
 * then one line per change (JSON and YAML: one document per change, `---` between them).
 */
async function watch(
  ctx: EngineContext,
  ns: string,
  app: string,
  opts: StatusOptions,
  io: IO,
  render: (r: StatusReport) => string,
  connection: string,
): Promise<number> {
  const until = opts.until ?? 'gate';
  const limitMs = opts.timeout !== undefined ? parseTimeout(opts.timeout, 0) : Number.POSITIVE_INFINITY;
  const started = Date.now();
  const live = Boolean(io.stdout.isTTY) && opts.output === 'table';
  let drawn = 0;
  const draw = (r: StatusReport) => {
    const now = new Date();
    const head = `Watching ${app}: ${now.toISOString().replace(/\.\d+Z$/, 'Z')}, for ${age(now.getTime() - started)}; ends at ${until === 'done' ? 'the end' : 'a gate or the end'} (Ctrl-C to stop)\n\n`;
    // Lines cut to the terminal's width, so none wraps and the redraw knows how far up to go.
    const width = io.stdout.columns ?? 0;
    const text = (head + statusTable(r, connection, now, { bars: true }))
      .split('\n')
      .map((l) => (width > 0 && l.length >= width ? l.slice(0, width - 1) : l))
      .join('\n');
    // Up to where the last drawing began, then clear below: redrawn in place, no scrollback.
    io.stdout.write(`${drawn > 0 ? `\x1b[${drawn}A\r\x1b[J` : ''}${text}`);
    drawn = text.split('\n').length - 1;
  };
  let seen = await observe(ctx, ns, app);
  let report = seen.report;
  if (live) draw(report);
  else io.stdout.write(render(report));
  for (;;) {
    const state = stillMoving(report, until, Date.now());
    if (state === 'stopped') return exitCode(report);
    if (state === 'stuck') {
      const why =
        report.workflow.phase === 'running'
          ? 'the workflow is running but nobody drives it (the run was interrupted)'
          : `its timed pause ended at ${report.workflow.resumeAt ?? ''} but nobody goes on with it`;
      io.stderr.write(
        `${app}: ${why}; continue it with \`vela-ts workflow resume ${app} -n ${ns}${connection}\`\n`,
      );
      return EXIT_FAILED;
    }
    const left = limitMs - (Date.now() - started);
    if (left <= 0) {
      io.stderr.write(
        `${app}: still ${report.workflow.phase} after --timeout ${opts.timeout ?? ''}; the workflow goes on without this watch\n`,
      );
      return EXIT_FAILED;
    }
    const stop = new AbortController();
    const changed = nextChange(ctx, ns, app, seen, Math.min(left, 10 * 60_000), stop.signal).then(() => true);
    try {
      // A terminal gets a tick each second for its clock; a pipe only hears of changes.
      for (;;) {
        const tick = live ? new Promise<false>((r) => setTimeout(() => r(false), 1000).unref()) : undefined;
        const moved = await (tick ? Promise.race([changed, tick]) : changed);
        if (moved) break;
        draw(report);
        if (Date.now() - started >= limitMs) break;
      }
    } finally {
      stop.abort();
    }
    seen = await observe(ctx, ns, app);
    report = seen.report;
    if (live) draw(report);
    else io.stdout.write(opts.output === 'table' ? changeLine(report, new Date()) : `---\n${render(report)}`);
  }
}
