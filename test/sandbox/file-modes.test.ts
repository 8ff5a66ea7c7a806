/**
 * The sandbox's files hold its token and CA key: they are owner-only (0600), and the folders it
 * creates for them owner-only (0700), whatever the umask and whatever mode a file had before.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { journalPath } from '../../src/sandbox/persistence.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { tmpDir } from './helpers.js';
import { killLeftovers, request, serve } from './serve-process.js';

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

afterEach(killLeftovers);

test('GIVEN umask 000 and folders that do not exist WHEN sandbox serve writes its kubeconfig, state, journal and audit log THEN the files are 0600 and the folders it made 0700', async () => {
  const dir = tmpDir();
  const kubeconfig = path.join(dir, 'kc', 'deep', 'kc.yaml');
  const state = path.join(dir, 'st', 'deep', 'state.json');
  const audit = path.join(dir, 'logs', 'deep', 'audit.log');
  const s = await serve(kubeconfig, ['--state', state, '--audit-log', audit], { umask: '000' });
  try {
    const created = await request(s, 'POST', '/api/v1/namespaces/default/configmaps', {
      body: { metadata: { name: 'journaled' } },
    });
    expect(created.status).toBe(201);
    expect({
      kubeconfig: mode(kubeconfig),
      state: mode(state),
      journal: mode(journalPath(state)),
      audit: mode(audit),
      folders: ['kc', 'kc/deep', 'st', 'st/deep', 'logs', 'logs/deep'].map((f) => mode(path.join(dir, f))),
    }).toEqual({
      kubeconfig: '600',
      state: '600',
      journal: '600',
      audit: '600',
      folders: ['700', '700', '700', '700', '700', '700'],
    });
  } finally {
    s.child.kill('SIGTERM');
  }
  expect(await s.exited).toBe(0);
  expect(mode(state)).toBe('600');
  expect(readFileSync(audit, 'utf8')).toContain('"method":"POST"');
});

test('GIVEN world-readable files from before WHEN sandbox serve writes into them THEN each is tightened to 0600 (the audit log keeps its lines)', async () => {
  const dir = tmpDir();
  const kubeconfig = path.join(dir, 'kc.yaml');
  const state = path.join(dir, 'state.json');
  const audit = path.join(dir, 'audit.log');
  const earlier = await startSandbox({ port: 0, statePath: state });
  await earlier.close();
  writeFileSync(kubeconfig, 'old: kubeconfig\n');
  writeFileSync(audit, '{"earlier":true}\n');
  for (const f of [kubeconfig, state, audit]) chmodSync(f, 0o644);

  const s = await serve(kubeconfig, ['--state', state, '--audit-log', audit]);
  try {
    expect(await request(s, 'GET', '/api/v1/namespaces')).toMatchObject({ status: 200 });
    expect([mode(kubeconfig), mode(state), mode(audit)]).toEqual(['600', '600', '600']);
  } finally {
    s.child.kill('SIGTERM');
  }
  expect(await s.exited).toBe(0);
  expect(readFileSync(audit, 'utf8')).toMatch(/^\{"earlier":true\}\n\{"time"/);
});

test('GIVEN a world-readable .vela-ts/kubeconfig WHEN a --sandbox command runs THEN it is rewritten 0600', async () => {
  const dir = tmpDir();
  mkdirSync(path.join(dir, '.vela-ts'));
  const kubeconfig = path.join(dir, '.vela-ts', 'kubeconfig');
  writeFileSync(kubeconfig, 'old: kubeconfig\n');
  chmodSync(kubeconfig, 0o644);
  await runCli(['status', 'nothing-here', '--sandbox'], { cwd: dir });
  expect(mode(kubeconfig)).toBe('600');
  expect(mode(path.join(dir, '.vela-ts', 'state.json'))).toBe('600');
  expect(readFileSync(kubeconfig, 'utf8')).toContain('vela-ts-sandbox');
});

test('GIVEN --audit-log in a folder that cannot be made WHEN sandbox serve starts THEN it refuses at once with one line naming the flag and file (exit 2), not a crash at the first request', async () => {
  const dir = tmpDir();
  writeFileSync(path.join(dir, 'a-file'), '');
  const audit = path.join(dir, 'a-file', 'logs', 'audit.log');
  const r = await runCli(
    ['sandbox', 'serve', '--kubeconfig', path.join(dir, 'kc.yaml'), '--audit-log', audit],
    { timeoutMs: 20_000 },
  );
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toEqual([
    expect.stringMatching(
      new RegExp(`^error: --audit-log: cannot use ${audit} as the sandbox's audit log: ENOTDIR`),
    ),
  ]);
});
