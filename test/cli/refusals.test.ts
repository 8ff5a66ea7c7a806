import { readFileSync } from 'node:fs';
import path from 'node:path';
import { kubevelaExamples, runCli, type CliResult } from '../helpers/cli.js';
import { runMain } from '../helpers/main.js';
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

const refusals: { what: string; text: string; at: RegExp }[] = [
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

/**
 * Every refusal is checked in this process, through main(argv, io) as the binary calls it; the
 * first one of each command also through the built binary, a smoke run of the path a user takes.
 */
type Run = (args: string[], cwd?: string) => Promise<CliResult>;
const inProcess: Run = (args, cwd) => runMain(args, { cwd });
const binary: Run = (args, cwd) => runCli(args, { cwd });
const cases = refusals.map((r, i) => ({ ...r, runs: i === 0 ? [inProcess, binary] : [inProcess] }));

describe('a workflow that cannot work is refused at its line before anything moves', () => {
  let c: SandboxCluster;
  beforeAll(async () => {
    c = await new SandboxCluster().start();
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
  });
  afterAll(() => c.stop());

  it.each(cases)('GIVEN $what THEN plan exits 2 pointing at the line', async ({ text, at, runs }) => {
    for (const run of runs) {
      const res = await run(['plan', c.file('plan.yaml', text), '--from', first]);
      expect(res).toMatchObject({ code: 2, stdout: '' });
      expect(res.stderr).toMatch(at);
      expect(res.stderr).toContain('nothing was sent to the cluster');
    }
  });

  it.each(cases)('GIVEN $what THEN diff exits 2 pointing at the line', async ({ text, at, runs }) => {
    for (const run of runs) {
      const res = await run(['--kubeconfig', c.kubeconfig, 'diff', c.file('diff.yaml', text)], c.dir);
      expect(res).toMatchObject({ code: 2, stdout: '' });
      expect(res.stderr).toMatch(at);
    }
  });

  it.each(cases)('GIVEN $what THEN up exits 2 and sends no write', async ({ text, at, runs }) => {
    for (const run of runs) {
      const before = c.audit().length;
      const res = await run(['--kubeconfig', c.kubeconfig, 'up', c.file('up.yaml', text)], c.dir);
      expect(res).toMatchObject({ code: 2 });
      expect(res.stderr).toMatch(at);
      expect(res.stderr).not.toMatch(/\n\s+at /);
      expect(
        c
          .audit()
          .slice(before)
          .filter((r) => r.method !== 'GET'),
      ).toEqual([]);
    }
  });
});
