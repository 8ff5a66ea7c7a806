import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubevelaExamples, runCli } from '../helpers/cli.js';

// `diff` exits 0 for no changes and 1 for changes (test/e2e/shapes.test.ts); these pin what is
// left: as with `kubectl diff`, bad input is 2 and every other failure 3, never the 1 of "changes".

const tmp = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-diff-'));
const first = path.join(kubevelaExamples, 'first-deploy.yaml');
const token = 'diff-test-token-0123456789';

/** A kubeconfig for a server nothing listens on: port 1 refuses every connection. */
const unreachable = path.join(tmp, 'unreachable.kubeconfig');
writeFileSync(
  unreachable,
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: nowhere',
    '    cluster:',
    '      server: https://127.0.0.1:1',
    '      insecure-skip-tls-verify: true',
    'contexts:',
    '  - name: nowhere',
    '    context: { cluster: nowhere, user: someone, namespace: default }',
    'current-context: nowhere',
    'users:',
    '  - name: someone',
    `    user: { token: ${token} }`,
    '',
  ].join('\n'),
);

describe('diff exit codes', () => {
  it('GIVEN a server that cannot be reached THEN exit 3 (not the 1 of "changes") with one plain line', async () => {
    const res = await runCli(['--kubeconfig', unreachable, 'diff', first], { env: { HOME: tmp } });
    expect(res.code).toBe(3);
    expect(res.stdout).toBe('');
    // The kubeconfig turns TLS verification off, which is warned about first, in one line.
    expect(res.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^warning: TLS verification is off for this cluster/),
      expect.stringMatching(/^error: .*(cannot reach|refused)/i),
    ]);
    expect(res.stderr).not.toContain(token);
  });

  it('GIVEN a missing file THEN exit 2, as for any other command', async () => {
    const res = await runCli(['--kubeconfig', unreachable, 'diff', path.join(tmp, 'nope.yaml')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('no such file');
  });

  it('GIVEN a kubeconfig that does not exist THEN exit 2 (bad input)', async () => {
    const res = await runCli(['--kubeconfig', path.join(tmp, 'missing.kubeconfig'), 'diff', first]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^error: kubeconfig ".*missing\.kubeconfig" does not exist\n$/);
  });

  it('GIVEN -n that disagrees with the file THEN exit 2 (a usage error)', async () => {
    // first-deploy.yaml says namespace: default.
    const res = await runCli(['--kubeconfig', unreachable, '-n', 'other', 'diff', first]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('says namespace "default" but --namespace is "other"');
  });

  it('GIVEN an unknown flag THEN exit 2', async () => {
    const res = await runCli(['diff', first, '--nope']);
    expect(res.code).toBe(2);
  });
});
