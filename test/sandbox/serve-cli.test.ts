/**
 * `vela-ts sandbox serve` as a user runs it: the built binary in the foreground, stopped by a signal.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig, CoreV1Api } from '@kubernetes/client-node';
import { binPath } from '../helpers/cli.js';
import { parseServeOptions } from '../../src/cli/commands/sandbox.js';
import { tmpDir } from './helpers.js';

test('GIVEN sandbox serve WHEN it is listening THEN it prints the banner, address and kubeconfig path; SIGTERM stops it and saves state', async () => {
  const dir = tmpDir();
  const kubeconfig = path.join(dir, 'kc.yaml');
  const state = path.join(dir, 'state.json');
  const child = spawn(
    process.execPath,
    [binPath, 'sandbox', 'serve', '--kubeconfig', kubeconfig, '--state', state, '--ready-delay', '10'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Wait for the line the command prints once it listens; the kubeconfig must exist by then.
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('kubeconfig: ')) resolve();
    });
    child.on('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
  });
  expect(stdout).toContain('It is not a cluster');
  expect(stdout).toMatch(/listening on https:\/\/127\.0\.0\.1:\d+/);
  expect(stdout).toContain(`kubeconfig: ${kubeconfig}`);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  expect(stdout).not.toContain(kc.getCurrentUser()!.token!);
  await kc
    .makeApiClient(CoreV1Api)
    .createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'from-cli' } } });

  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  expect(await exit).toBe(0);
  expect(stderr).toContain(`state saved to ${state}`);
  expect(existsSync(state)).toBe(true);
  const saved = JSON.parse(readFileSync(state, 'utf8'));
  expect(saved.objects.map((o: any) => o.object.metadata.name)).toContain('from-cli');
});

test('GIVEN bad flags THEN usage errors name the flag', () => {
  expect(() => parseServeOptions({ failRate: '2' }, '/tmp')).toThrow(
    '--fail-rate must be a number from 0 to 1, not "2"',
  );
  expect(() => parseServeOptions({ port: 'x' }, '/tmp')).toThrow('--port must be an integer');
  expect(() => parseServeOptions({ terminationGrace: '-1' }, '/tmp')).toThrow(
    '--termination-grace must be an integer from 0 to 86400000, not "-1"',
  );
  expect(parseServeOptions({ terminationGrace: '250' }, '/tmp')).toMatchObject({ terminationGraceMs: 250 });
  expect(parseServeOptions({}, '/work')).toMatchObject({
    port: 0,
    readyDelayMs: 1000,
    terminationGraceMs: 1000,
    failRate: 0,
    kubeconfigPath: '/work/.vela-ts/sandbox.kubeconfig',
  });
});

test('GIVEN sandbox serve --user twice THEN each user has a context in the kubeconfig, named in the banner, and is authorized by RBAC', async () => {
  const dir = tmpDir();
  const kubeconfig = path.join(dir, 'kc.yaml');
  const sa = 'system:serviceaccount:ci:vela-ts';
  const child = spawn(
    process.execPath,
    [binPath, 'sandbox', 'serve', '--kubeconfig', kubeconfig, '--user', 'ci', '--user', sa],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('try: kubectl')) resolve();
      });
      child.on('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
    });
    expect(stdout).toContain('user ci: kubeconfig context ci@vela-ts-sandbox');
    expect(stdout).toContain(`user ${sa}: kubeconfig context ${sa}@vela-ts-sandbox`);
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    expect(kc.getContexts().map((c) => c.name)).toEqual([
      'vela-ts-sandbox',
      'ci@vela-ts-sandbox',
      `${sa}@vela-ts-sandbox`,
    ]);
    expect(kc.getCurrentContext()).toBe('vela-ts-sandbox');
    kc.setCurrentContext('ci@vela-ts-sandbox');
    await expect(
      kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'default' }),
    ).rejects.toMatchObject({
      code: 403,
    });
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exit).toBe(0);
});

test('GIVEN a --user the sandbox cannot serve THEN it is a usage error naming the flag', () => {
  expect(() => parseServeOptions({ user: ['system:admin'] }, '/tmp')).toThrow(
    /^--user: "system:admin" is in the system: namespace/,
  );
  expect(() => parseServeOptions({ user: ['ci', 'ci'] }, '/tmp')).toThrow('--user: "ci" is given twice');
  expect(parseServeOptions({ user: ['ci'] }, '/tmp').users).toEqual(['ci']);
  expect(parseServeOptions({}, '/tmp').users).toEqual([]);
});
