import { readFileSync } from 'node:fs';
import path from 'node:path';
import { kubevelaExamples, runCli } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

const first = path.join(kubevelaExamples, 'first-deploy.yaml');
const rolloutText = readFileSync(path.join(kubevelaExamples, 'rollout-v2.yaml'), 'utf8');
const LAST_STEP_WEIGHT = 'weight: 100 # 100% shift to new version';

/** rollout-v2.yaml with its text changed; the edit must apply, or the test proves nothing. */
function variant(edit: (text: string) => string): string {
  const text = edit(rolloutText);
  expect(text).not.toBe(rolloutText);
  return text;
}

const cases: { what: string; text: string; at: RegExp }[] = [
  {
    what: 'a weight naming a revision this rollout does not move between',
    text: variant((t) => t.replaceAll('revision: reviews-v2', 'revision: reviews-v3')),
    at: /:94: spec\.workflow\.steps\[0\]\.properties\.traffic\.weightedTargets\[1\]\.revision: step rollout-1st-batch routes 10% to reviews-v3, but this rollout of reviews goes from reviews-v1 to reviews-v2/,
  },
  {
    what: 'a last batch that still routes to the revision it removes',
    text: variant((t) =>
      t.replace(
        '              - revision: reviews-v2\n                ' + LAST_STEP_WEIGHT,
        '              - revision: reviews-v1\n                weight: 50\n              - revision: reviews-v2\n                weight: 50',
      ),
    ),
    at: /:109: spec\.workflow\.steps\[2\]\.properties\.traffic\.weightedTargets\[0\]\.weight: step rollout-rest runs the last batch of reviews, which removes reviews-v1, but routes 50% to it/,
  },
  {
    what: 'a rollback to a revision the component never had',
    text: variant((t) =>
      t.replace(
        LAST_STEP_WEIGHT,
        'weight: 100\n      - name: back\n        type: canary-rollback\n        properties:\n          rollbackVersion: reviews-v9',
      ),
    ),
    at: /:113: spec\.workflow\.steps\[3\]\.properties\.rollbackVersion: step back rolls back to reviews-v9, which reviews has never had \(known: reviews-v1, reviews-v2\)/,
  },
];

describe('a workflow that cannot work is refused at its line before anything moves', () => {
  let c: SandboxCluster;
  beforeAll(async () => {
    c = await new SandboxCluster().start();
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
  });
  afterAll(() => c.stop());

  it.each(cases)('GIVEN $what THEN plan exits 2 pointing at the line', async ({ text, at }) => {
    const res = await runCli(['plan', c.file('plan.yaml', text), '--from', first]);
    expect(res).toMatchObject({ code: 2, stdout: '' });
    expect(res.stderr).toMatch(at);
    expect(res.stderr).toContain('nothing was sent to the cluster');
  });

  it.each(cases)('GIVEN $what THEN diff exits 2 pointing at the line', async ({ text, at }) => {
    const res = await c.vela(['diff', c.file('diff.yaml', text)]);
    expect(res).toMatchObject({ code: 2, stdout: '' });
    expect(res.stderr).toMatch(at);
  });

  it.each(cases)('GIVEN $what THEN up exits 2 and sends no write', async ({ text, at }) => {
    const before = c.audit().length;
    const res = await c.vela(['up', c.file('up.yaml', text)]);
    expect(res).toMatchObject({ code: 2 });
    expect(res.stderr).toMatch(at);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(
      c
        .audit()
        .slice(before)
        .filter((r) => r.method !== 'GET'),
    ).toEqual([]);
  });
});
