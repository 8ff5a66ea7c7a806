import path from 'node:path';
import { kubevelaExamples } from '../helpers/cli.js';
import { SandboxCluster, type AuditLine } from '../helpers/sandbox-cluster.js';

const first = path.join(kubevelaExamples, 'first-deploy.yaml');
const rollout = path.join(kubevelaExamples, 'rollout-v2.yaml');

/** Requests by `METHOD path` (query cut at `resourceVersion`), most frequent first: what a failure shows. */
function breakdown(lines: readonly AuditLine[]): string {
  const by = new Map<string, number>();
  for (const l of lines) {
    const key = `${l.method} ${l.path.replace(/resourceVersion=\d+/, 'resourceVersion=N')}`;
    by.set(key, (by.get(key) ?? 0) + 1);
  }
  return [...by]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} ${k}`)
    .join('\n');
}

const ours = (lines: readonly AuditLine[]) => lines.filter((l) => l.userAgent?.startsWith('vela-ts'));

// Issue 8: the canary and its promotion cost their moves, not re-lists of the app after every
// write. Pods take 1 s to be ready, as in the benchmark, so every readiness wait has to watch.
describe('the requests of the seed walkthrough (sandbox audit log)', () => {
  let c: SandboxCluster;
  beforeAll(async () => {
    c = await new SandboxCluster(1000).start();
  });
  afterAll(() => c.stop());

  it('GIVEN first-deploy WHEN up rollout-v2 and then workflow resume THEN the rollout is done in at most 60 requests, each write recorded before it is acted on', async () => {
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
    const before = c.audit().length;
    expect(await c.vela(['up', rollout, '--no-prompt'])).toMatchObject({ code: 0 });
    expect(await c.vela(['workflow', 'resume', 'book-info'])).toMatchObject({ code: 0 });
    const lines = ours(c.audit().slice(before));

    expect(await c.deployments()).toEqual({
      details: '1/1',
      productpage: '1/1',
      ratings: '1/1',
      'reviews-v2': '2/2',
    });
    if (lines.length > 60) throw new Error(`${lines.length} requests:\n${breakdown(lines)}`);
    // No list of the app's objects after a write of our own: each command lists them once at its start.
    const serviceLists = lines.filter((l) => l.method === 'GET' && /\/services(\?|$)/.test(l.path));
    expect(serviceLists).toHaveLength(2);
    // The state is written before each move it records: a Deployment or route write always
    // follows a write of the state (PUT) since the previous move.
    let recorded = false;
    for (const l of lines) {
      if (l.method === 'PUT' && l.path.includes('/configmaps/vela-ts-book-info')) recorded = true;
      else if (['PATCH', 'DELETE'].includes(l.method)) {
        expect({ write: `${l.method} ${l.path}`, recorded }).toEqual({
          write: `${l.method} ${l.path}`,
          recorded: true,
        });
        recorded = false;
      }
    }
  });
});
