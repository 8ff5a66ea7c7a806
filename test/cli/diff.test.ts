import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubevelaExamples, runCli } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

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

const webApp = (replicas: number, image: string) =>
  [
    'apiVersion: core.oam.dev/v1beta1',
    'kind: Application',
    'metadata:',
    '  name: web',
    '  namespace: default',
    'spec:',
    '  components:',
    '    - name: web',
    '      type: webservice',
    '      properties:',
    `        image: ${image}`,
    '        port: 8080',
    '      traits:',
    '        - type: scaler',
    '          properties:',
    `            replicas: ${replicas}`,
    '',
  ].join('\n');

interface DiffJson {
  app: string;
  namespace: string;
  specChanged: boolean;
  steps: { name: string; type: string }[];
  rolledBack?: { component: string; wanted: string; running: string[] }[];
  objects: {
    kind: string;
    name: string;
    action: string;
    fields: { op: string; path: string; old?: unknown; value?: unknown }[];
  }[];
}

describe('diff shows values', () => {
  let c: SandboxCluster;
  beforeAll(async () => {
    c = await new SandboxCluster().start();
  });
  afterAll(() => c.stop());

  it('GIVEN a first deploy WHEN the file changes replicas 2 -> 3 and the image THEN diff shows both old and new values, and -o json has them as field changes', async () => {
    expect(await c.vela(['up', c.file('v1.yaml', webApp(2, 'example/web:1.0'))])).toMatchObject({ code: 0 });
    const next = c.file('v2.yaml', webApp(3, 'example/web:1.1'));

    const text = await c.vela(['diff', next]);
    expect(text).toMatchObject({ code: 1, stderr: '' });
    const lines = text.stdout.split('\n');
    expect(lines).toContain(
      '~ Deployment/web  (spec.replicas, spec.template.metadata.labels.app.oam.dev/revision, spec.template.spec.containers[0].image)',
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        '--- Deployment/web (live)',
        '+++ Deployment/web (after up)',
        '-  replicas: 2',
        '+  replicas: 3',
        '-        - image: example/web:1.0',
        '+        - image: example/web:1.1',
      ]),
    );
    // Server-managed noise is left out.
    expect(text.stdout).not.toMatch(/resourceVersion|managedFields|uid:|applied-hash|status:/);

    const json = await c.vela(['diff', next, '-o', 'json']);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as DiffJson;
    expect(parsed).toMatchObject({ app: 'web', namespace: 'default', specChanged: true });
    expect(parsed.objects).toEqual([
      {
        kind: 'Deployment',
        name: 'web',
        action: 'update',
        fields: expect.arrayContaining([
          { op: 'replace', path: '/spec/replicas', old: 2, value: 3 },
          {
            op: 'replace',
            path: '/spec/template/spec/containers/0/image',
            old: 'example/web:1.0',
            value: 'example/web:1.1',
          },
        ]),
      },
    ]);
    // Nothing was stored: the cluster still runs the first file.
    expect(await c.deployments()).toEqual({ web: '2/2' });
  });

  it('GIVEN colours (FORCE_COLOR, as on a terminal) THEN removals are red and additions green; --no-color none', async () => {
    const next = path.join(c.dir, 'v2.yaml');
    const env = { NO_COLOR: '', FORCE_COLOR: '1' };
    const coloured = await c.vela(['diff', next], { env });
    expect(coloured.stdout).toContain('\u001b[31m-  replicas: 2\u001b[39m');
    expect(coloured.stdout).toContain('\u001b[32m+  replicas: 3\u001b[39m');
    expect((await c.vela(['diff', next, '--no-color'], { env })).stdout).not.toContain('\u001b[');
  });

  it('GIVEN an unchanged file THEN -o json says so with no objects, exit 0', async () => {
    const res = await c.vela(['diff', path.join(c.dir, 'v1.yaml'), '-o', 'json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({
      app: 'web',
      namespace: 'default',
      specChanged: false,
      steps: [],
      objects: [],
    });
  });

  it("GIVEN a canary rolled back WHEN diff of the same file THEN it says the file's revision does not run and how to roll it out again", async () => {
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
    const rollout = path.join(kubevelaExamples, 'rollout-v2.yaml');
    expect(await c.vela(['up', rollout, '--no-prompt'])).toMatchObject({ code: 0 });
    expect(await c.vela(['rollback', 'book-info'])).toMatchObject({ code: 0 });

    const res = await c.vela(['diff', rollout]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(
      `  reviews was rolled back: it runs reviews-v1, not reviews-v2 as the file says; up changes nothing, roll it out again with: vela-ts workflow restart book-info -n default --kubeconfig ${c.kubeconfig}`,
    );
    const json = JSON.parse((await c.vela(['diff', rollout, '-o', 'json'])).stdout) as DiffJson;
    expect(json.rolledBack).toEqual([
      { component: 'reviews', wanted: 'reviews-v2', running: ['reviews-v1'] },
    ]);
  });
});
