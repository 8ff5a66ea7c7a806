import jsYaml from 'js-yaml';
import type { StatusReport } from '../engine/index.js';
import { age } from './format.js';

/**
 * The table `status` prints, and `up` shows at an approval gate. `connection` is the command's
 * connection flags (`connectionFlags`), repeated in the hint so it reaches the same cluster.
 */
export function statusTable(
  r: StatusReport,
  connection = '',
  now = new Date(),
  opts: { bars?: boolean } = {},
): string {
  const out: string[] = [];
  const resume = `vela-ts workflow resume ${r.name} -n ${r.namespace}${connection}`;
  const pause = r.workflow.resumeAt
    ? Date.parse(r.workflow.resumeAt) > now.getTime()
      ? ` (timed pause until ${r.workflow.resumeAt}; a running up, or workflow resume, goes on then)`
      : ` (timed pause over since ${r.workflow.resumeAt}; continue with \`${resume}\`)`
    : '';
  out.push(
    `App:       ${r.name} (namespace ${r.namespace})${r.sandbox ? '  [sandbox: simulated cluster]' : ''}`,
  );
  out.push(`Workflow:  ${r.workflow.phase}${pause}`);
  const at = r.workflow.current;
  if (at) {
    const since = at.since
      ? `, since ${at.since.replace(/\.\d+Z$/, 'Z')} (${age(now.getTime() - Date.parse(at.since))} ago)`
      : '';
    out.push(`Step:      ${at.index}/${at.count}: ${at.name} (${at.type})${since}`);
  }
  if (r.driver !== undefined) {
    out.push(
      r.driver ? `Driver:    ${r.driver}` : `Driver:    nobody (interrupted): continue with \`${resume}\``,
    );
  }
  if (r.mesh && r.mesh.meshed !== true)
    out.push(
      `Mesh:      ${r.mesh.meshed === false ? 'NOT IN THE MESH' : 'unknown'}: ${r.mesh.reason}; route weights act only on requests from pods with a sidecar`,
    );
  if (r.workflow.message) out.push(`           ${r.workflow.message.split('\n').join('\n           ')}`);
  out.push('');
  out.push(row(['STEP', 'TYPE', 'PHASE', 'MESSAGE']));
  // One line per step: a long message (a failure report) is shown in full under Workflow above.
  for (const s of r.workflow.steps)
    out.push(row([s.name, s.type, s.phase, (s.message ?? '').split('\n')[0] ?? '']));
  out.push(...gateLines(r));
  if (r.preview) {
    out.push('');
    const list = (moves: string[]) => moves.map((m) => `             ${m}`);
    out.push('Continuing (c) would:', ...list(r.preview.continue));
    if (r.preview.rollback) out.push('Rolling back (r) would:', ...list(r.preview.rollback));
  }
  out.push('');
  // The live view's bars widen the traffic column.
  const widths = opts.bars ? [18, 20, 12, 16, 8] : undefined;
  out.push(row(['COMPONENT', 'REVISION', 'READY', 'TRAFFIC', 'ROLE', 'IMAGE'], widths));
  for (const c of r.components) {
    for (const rev of c.revisions) {
      const weight = c.traffic?.find((t) => t.revision === rev.name)?.weight;
      const bar = opts.bars && c.traffic ? ` ${trafficBar(weight ?? 0)}` : '';
      const traffic = c.traffic ? `${weight ?? 0}%${bar}` : c.subsets ? 'service' : '';
      out.push(
        row(
          [
            c.name,
            rev.name,
            `${rev.readyReplicas}/${rev.replicas}`,
            traffic,
            rev.role ?? '',
            rev.image ?? '',
          ],
          widths,
        ),
      );
    }
  }
  return `${out.join('\n')}\n`;
}

/** Each metric gate that has measured: what it asks of which revision, where, and its last values. */
function gateLines(r: StatusReport): string[] {
  const out: string[] = [];
  for (const s of r.workflow.steps) {
    const g = s.metrics;
    if (!g || (g.samples.length === 0 && s.phase === 'pending')) continue;
    const what = g.metric ?? 'query';
    out.push('');
    out.push(`Gate ${s.name}: ${what} of ${g.revision} ${g.condition}, from ${g.endpoint}`);
    if (!g.metric) out.push(`  query: ${g.query}`);
    const shown = g.samples.slice(-5).map((m) => {
      const t = m.at.replace(/^.*T/, '').replace(/\.\d+Z$/, 'Z');
      const v =
        m.value !== undefined
          ? String(Number(m.value.toPrecision(6)))
          : m.outcome === 'error'
            ? 'error'
            : 'no data';
      return `${t} ${v}${m.value !== undefined ? ` ${m.outcome}` : ''}`;
    });
    if (shown.length > 0) out.push(`  last: ${shown.join(' · ')}`);
    const lastError = g.samples.at(-1)?.error;
    if (lastError) out.push(`  ${lastError}`);
  }
  return out;
}

/** A weight as a bar of 10 cells, for the live view: `###.......` is 30%. */
function trafficBar(weight: number): string {
  const full = Math.round(weight / 10);
  return `${'#'.repeat(full)}${'.'.repeat(10 - full)}`;
}

function row(cells: string[], widths = [18, 20, 12, 10, 8]): string {
  return cells
    .map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i] ?? 12) : c))
    .join(' ')
    .trimEnd();
}

export function statusYaml(r: StatusReport): string {
  return jsYaml.dump(r, { noRefs: true, lineWidth: -1 });
}
