import { canonical } from '../../compile/stable.js';
import { diff as runDiff, type DiffReport, type ObjectDiff } from '../../engine/index.js';
import { dottedPath } from '../../engine/objdiff.js';
import { DiffFailed, EXIT_DIFF_CHANGES, EXIT_OK } from '../errors.js';
import { toJson, toYaml } from '../format.js';
import { connectionFlags } from '../gate.js';
import type { IO } from '../io.js';
import { useColor } from '../io.js';
import { loadAppFile, locateRefusal, resolveNamespace } from '../load.js';
import type { GlobalOptions } from '../globals.js';
import { openSession } from '../session.js';
import { unifiedHunks } from '../unified.js';

export interface DiffOptions {
  file: string;
  output: 'text' | 'json';
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
  const parsed = await loadAppFile(opts.file, io);
  const session = await openSession(opts.globals, io);
  try {
    const ns = resolveNamespace(parsed, opts.globals.namespace, session.cluster.defaultNamespace);
    const found = await runDiff(session.ctx, parsed.app, ns).catch((err: unknown) => {
      throw locateRefusal(parsed, err);
    });
    const app = parsed.app.name;
    if (opts.output === 'json') io.stdout.write(toJson(asJson(app, ns, found)));
    else {
      const color = useColor(io, !opts.globals.color);
      const paint = color ? (await import('chalk')).default : undefined;
      const restart = `vela-ts workflow restart ${app} -n ${ns}${connectionFlags(opts.globals)}`;
      for (const line of asText(app, found, restart)) {
        io.stdout.write(`${paint ? colour(line, paint) : line}\n`);
      }
    }
    return found.objects.length > 0 ? EXIT_DIFF_CHANGES : EXIT_OK;
  } finally {
    await session.close();
  }
}

/** For scripts: each object, its action, and its field changes (JSON Pointer paths, old and new values). */
function asJson(app: string, namespace: string, r: DiffReport): unknown {
  return {
    app,
    namespace,
    specChanged: r.specChanged,
    steps: r.steps,
    ...(r.rolledBack.length > 0 ? { rolledBack: r.rolledBack } : {}),
    objects: r.objects.map((o) => ({
      kind: o.kind,
      name: o.name,
      action: o.action,
      fields: o.fields,
    })),
  };
}

const SIGN = { create: '+', update: '~', delete: '-' } as const;

/** One line per object (`+` create, `~` update with its fields, `-` delete), then a unified diff of each. */
export function asText(app: string, r: DiffReport, restart: string): string[] {
  const lines: string[] = [];
  if (r.specChanged)
    lines.push(
      `${app}: the spec changed; up would run ${r.steps.map((s) => `${s.name} (${s.type})`).join(', ')}. After it:`,
    );
  else lines.push(`${app}: the spec is unchanged; where the cluster differs from it:`);
  for (const rb of r.rolledBack) {
    lines.push(
      `  ${rb.component} was rolled back: it runs ${rb.running.join(', ')}, not ${rb.wanted} as the file says; up changes nothing, roll it out again with: ${restart}`,
    );
  }
  for (const o of r.objects) {
    const paths = [...new Set(o.fields.map((f) => dottedPath(f.path)))];
    const fields =
      o.action === 'update' && paths.length > 0
        ? `  (${paths.slice(0, 6).join(', ')}${paths.length > 6 ? ', ...' : ''})`
        : '';
    lines.push(`${SIGN[o.action]} ${o.object}${fields}`);
  }
  if (r.objects.length === 0) lines.push('  no changes');
  for (const o of r.objects) lines.push('', ...unified(o));
  return lines;
}

const yamlOf = (o: ObjectDiff['before']) => (o ? toYaml([canonical(o) as NonNullable<typeof o>]) : '');

/** `diff -u` of the object as it is and as it would be, headed as git heads a file's diff. */
function unified(o: ObjectDiff): string[] {
  const before = o.action === 'create' ? '/dev/null' : `${o.object} (live)`;
  const after = o.action === 'delete' ? '/dev/null' : `${o.object} (after up)`;
  const hunks = unifiedHunks(yamlOf(o.before), yamlOf(o.after));
  // An update whose only change is a field vela-ts stops setting that the server keeps anyway.
  if (hunks.length === 0)
    return [`${o.object}: no field differs; up would only rewrite vela-ts's record of it`];
  return [`--- ${before}`, `+++ ${after}`, ...hunks];
}

/** As `git diff --color`: removals red, additions green, hunk headers cyan, file headers bold. */
function colour(line: string, chalk: typeof import('chalk').default): string {
  if (line.startsWith('--- ') || line.startsWith('+++ ')) return chalk.bold(line);
  if (line.startsWith('@@')) return chalk.cyan(line);
  if (line.startsWith('-')) return chalk.red(line);
  if (line.startsWith('+')) return chalk.green(line);
  if (line.startsWith('~')) return chalk.yellow(line);
  return line;
}
