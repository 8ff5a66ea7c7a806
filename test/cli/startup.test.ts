import path from 'node:path';
import { kubevelaExamples, repoRoot, runCli } from '../helpers/cli.js';

const trace = path.join(repoRoot, 'test/helpers/trace-imports.mjs');

describe('commands that need no cluster load no cluster client', () => {
  it.each([
    ['render', ['render', path.join(kubevelaExamples, 'first-deploy.yaml')]],
    [
      'plan',
      [
        'plan',
        path.join(kubevelaExamples, 'rollout-v2.yaml'),
        '--from',
        path.join(kubevelaExamples, 'first-deploy.yaml'),
      ],
    ],
    ['--help', ['--help']],
  ])('GIVEN %s THEN @kubernetes/client-node, ora and chalk are never imported', async (_name, args) => {
    const res = await runCli(args, { env: { NODE_OPTIONS: `--import=${trace}` } });
    expect(res.code).toBe(0);
    const imported = res.stderr
      .split('\n')
      .filter((l) => l.startsWith('[import] '))
      .map((l) => l.slice(9));
    // The tracer itself works: commander is always loaded.
    expect(imported).toContain('commander');
    expect(imported.filter((m) => /client-node|^ora$|^chalk$/.test(m))).toEqual([]);
  });
});
