import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubevelaExamples, repoRoot, runCli } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

const first = path.join(kubevelaExamples, 'first-deploy.yaml');

describe('nothing reaches the cluster until the whole file is valid; no credential in any output', () => {
  let c: SandboxCluster;
  beforeAll(async () => {
    c = await new SandboxCluster().start();
  });
  afterAll(() => c.stop());

  it('GIVEN an invalid file WHEN up THEN exit 2 and the server saw not one request', async () => {
    const before = c.audit().length;
    const res = await c.vela(['up', path.join(kubevelaExamples, 'rollback-invalid-since-v1.2.yaml')]);
    expect(res).toMatchObject({ code: 2, stdout: '' });
    expect(res.stderr).toContain('nothing was sent to the cluster');
    expect(c.audit().slice(before)).toEqual([]);
  });

  it('GIVEN a wrong token and --verbose THEN exit 1, a plain sentence, and neither token anywhere', async () => {
    const good = c.sandbox.token;
    const bad = 'not-the-token-0123456789abcdef';
    const kubeconfig = c.file('bad-kubeconfig', readFileSync(c.kubeconfig, 'utf8').replace(good, bad));
    const res = await runCli(['--kubeconfig', kubeconfig, '--verbose', 'up', first], { cwd: c.dir });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/credentials|401|Unauthorized/i);
    expect(res.stderr + res.stdout).not.toContain(bad);
    expect(res.stderr + res.stdout).not.toContain(good);
  });
});

describe('--sandbox on a fresh machine', () => {
  it('GIVEN an empty folder WHEN up examples/bookinfo/app.yaml and status run with --sandbox THEN the state lives in .vela-ts/ and carries over', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-fresh-'));
    const env = { VELA_TS_SANDBOX_READY_DELAY_MS: '20' };
    const app = path.join(repoRoot, 'examples/bookinfo/app.yaml');
    const up = await runCli(['up', app, '--sandbox'], { cwd, env });
    expect(up).toMatchObject({ code: 0 });
    expect(up.stderr).toContain('a simulated cluster');
    expect(existsSync(path.join(cwd, '.vela-ts/state.json'))).toBe(true);
    const status = await runCli(['status', '--sandbox', '-o', 'json'], { cwd, env });
    expect(status).toMatchObject({ code: 0 });
    const report = JSON.parse(status.stdout) as {
      sandbox: boolean;
      workflow: { phase: string };
      components: { name: string; revisions: { name: string; readyReplicas: number }[] }[];
    };
    expect(report.sandbox).toBe(true);
    expect(report.workflow.phase).toBe('succeeded');
    expect(report.components.find((x) => x.name === 'reviews')?.revisions).toEqual([
      // (status also names each revision's image, from its recorded pod template)
      {
        name: 'reviews-v1',
        image: 'docker.io/istio/examples-bookinfo-reviews-v2:1.16.2',
        replicas: 2,
        readyReplicas: 2,
      },
    ]);
  });
});
