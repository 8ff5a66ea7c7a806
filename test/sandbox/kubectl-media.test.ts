/**
 * kubectl create sends protobuf. The sandbox reads JSON and YAML only, so it answers as an
 * apiserver answers a body none of its serializers reads: 415 UnsupportedMediaType naming the
 * types it accepts (not a misleading "json parse error"). Run with the real kubectl 1.32.
 */
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { raw, tmpDir } from './helpers.js';
import { runProcess } from '../helpers/cli.js';

const UNSUPPORTED =
  'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml';

describe('request bodies the sandbox cannot read', () => {
  let dir: string;
  let sb: Sandbox;
  let kubeconfig: string;
  let n = 0;
  const kubectl = (args: string[]) =>
    runProcess('kubectl', [
      '--kubeconfig',
      kubeconfig,
      '--cache-dir',
      path.join(dir, `cache-${n++}`),
      ...args,
    ]);

  beforeAll(async () => {
    dir = tmpDir('vela-kubectl-media-');
    kubeconfig = path.join(dir, 'kubeconfig');
    sb = await startSandbox({ port: 0, readyDelayMs: 20, kubeconfigPath: kubeconfig });
  });
  afterAll(() => sb.close());

  test.each([
    [
      'create namespace',
      ['create', 'namespace', 'x'],
      `Error from server (UnsupportedMediaType): ${UNSUPPORTED}`,
    ],
    [
      'create deployment',
      ['create', 'deployment', 'web', '--image=nginx'],
      `error: failed to create deployment: ${UNSUPPORTED}`,
    ],
  ])(
    'GIVEN kubectl %s (a protobuf body) THEN it fails with the 415 in the apiserver words',
    async (_what, args, err) => {
      const r = await kubectl(args);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(err);
    },
  );

  test('GIVEN a protobuf body over HTTPS THEN 415 with a Status and no details', async () => {
    const res = await raw(sb, 'POST', '/api/v1/namespaces', {
      body: 'k8s\u0000\n\u0002v1',
      contentType: 'application/vnd.kubernetes.protobuf',
    });
    expect(res.status).toBe(415);
    expect(res.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: UNSUPPORTED,
      reason: 'UnsupportedMediaType',
      code: 415,
    });
  });

  test('GIVEN kubectl create -f (JSON) THEN it works', async () => {
    const file = path.join(dir, 'ns.json');
    (await import('node:fs')).writeFileSync(
      file,
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'y' } }),
    );
    const r = await kubectl(['create', '-f', file]);
    expect(r).toMatchObject({ code: 0, stdout: 'namespace/y created\n' });
  });
});
