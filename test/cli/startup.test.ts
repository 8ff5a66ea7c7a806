import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubevelaExamples, repoRoot, runCli } from '../helpers/cli.js';

const trace = path.join(repoRoot, 'test/helpers/trace-imports.mjs');

const traced = (stderr: string, tag: string): string[] =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith(`[${tag}] `))
    .map((l) => l.slice(tag.length + 3));
const importedPackages = (stderr: string) => traced(stderr, 'import');
// The tracer itself works: it sees the bin require its loader.
const sawLoader = (stderr: string) => traced(stderr, 'file').some((f) => f.endsWith('/dist/bin/loader.cjs'));

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
    const imported = importedPackages(res.stderr);
    expect(sawLoader(res.stderr)).toBe(true);
    expect(imported.filter((m) => /client-node|^ora$|^chalk$/.test(m))).toEqual([]);
  });
});

describe('cluster commands with static credentials load no client-node', () => {
  it('GIVEN a kubeconfig with a token and a CA (the sandbox) WHEN ls runs THEN @kubernetes/client-node is never imported', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-startup-'));
    try {
      const res = await runCli(['ls', '--sandbox'], { cwd, env: { NODE_OPTIONS: `--import=${trace}` } });
      expect(res.code).toBe(0);
      expect(res.stdout + res.stderr).toContain('no vela-ts apps in namespace default');
      const imported = importedPackages(res.stderr);
      expect(sawLoader(res.stderr)).toBe(true);
      expect(imported.filter((m) => m.includes('client-node'))).toEqual([]);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});
