/**
 * Request bodies the sandbox cannot read are answered as an apiserver answers a body none of its
 * serializers reads: 415 UnsupportedMediaType naming the types it accepts (not a misleading "json
 * parse error"). Built-in kinds are read as JSON, YAML and protobuf; a protobuf body of a kind
 * whose definitions the sandbox lacks, or of a custom resource, only as JSON or YAML. Run with the
 * real kubectl 1.32.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { kubectlIn, raw, tmpDir } from './helpers.js';

const UNKNOWN_FORMAT = 'the body of the request was in an unknown format - accepted media types include: ';
const status415 = (accepted: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: `${UNKNOWN_FORMAT}${accepted}`,
  reason: 'UnsupportedMediaType',
  code: 415,
});

/** A protobuf envelope (`k8s\0`, runtime.Unknown) whose typeMeta names `apiVersion` and `kind`. */
function envelope(apiVersion: string, kind: string): Buffer {
  const field = (no: number, bytes: Buffer) =>
    Buffer.concat([Buffer.from([no * 8 + 2, bytes.length]), bytes]);
  const typeMeta = Buffer.concat([field(1, Buffer.from(apiVersion)), field(2, Buffer.from(kind))]);
  const object = field(1, field(1, Buffer.from('x')));
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), field(1, typeMeta), field(2, object)]);
}

describe('request bodies the sandbox cannot read', () => {
  let dir: string;
  let sb: Sandbox;
  let kubeconfig: string;
  const kubectl = kubectlIn(() => ({ dir, kubeconfig }));
  const post = async (urlPath: string, body: Buffer, contentType: string) => {
    const res = await raw(sb, 'POST', urlPath, { body, contentType });
    return { status: res.status, body: res.body };
  };

  beforeAll(async () => {
    dir = tmpDir('vela-kubectl-media-');
    kubeconfig = path.join(dir, 'kubeconfig');
    sb = await startSandbox({ port: 0, readyDelayMs: 20, kubeconfigPath: kubeconfig });
  });
  afterAll(() => sb.close());

  test('GIVEN a body in a type no serializer reads THEN 415 naming JSON, YAML and protobuf', async () => {
    const res = await raw(sb, 'POST', '/api/v1/namespaces', { body: 'name: x', contentType: 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.body).toEqual(
      status415('application/json, application/yaml, application/vnd.kubernetes.protobuf'),
    );
  });

  test('GIVEN a JSON body with no Content-Type THEN it is read as JSON, the first type the apiserver reads', async () => {
    const res = await raw(sb, 'POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'untyped' } },
      headers: { 'Content-Type': '' },
    });
    expect(res.status).toBe(201);
    expect(res.body.metadata.name).toBe('untyped');
  });

  test('GIVEN a Deployment WHEN kubectl scale --current-replicas (a PUT of its Scale with no Content-Type) THEN it is scaled', async () => {
    expect((await kubectl(['create', 'deployment', 'scaled', '--image=nginx', '--replicas=1'])).code).toBe(0);
    const scaled = await kubectl(['scale', 'deployment/scaled', '--current-replicas=1', '--replicas=3']);
    expect(scaled.stderr).toBe('');
    expect(scaled.code).toBe(0);
    const got = await raw(sb, 'GET', '/apis/apps/v1/namespaces/default/deployments/scaled');
    expect(got.body.spec.replicas).toBe(3);
  });

  test('GIVEN a PUT of a Scale that names another object, or is not a Scale THEN 400, as the apiserver decodes it', async () => {
    const url = '/apis/apps/v1/namespaces/default/deployments/scaled/scale';
    const scale = (extra: object) => ({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'scaled', namespace: 'default' },
      spec: { replicas: 2 },
      ...extra,
    });
    const other = await raw(sb, 'PUT', url, {
      body: scale({ metadata: { name: 'other', namespace: 'default' } }),
    });
    expect(other.status).toBe(400);
    expect(other.body.message).toBe(
      'the name of the object (other) does not match the name on the URL (scaled)',
    );
    const deployment = await raw(sb, 'PUT', url, {
      body: scale({ apiVersion: 'apps/v1', kind: 'Deployment' }),
    });
    expect(deployment.status).toBe(400);
    expect(deployment.body.message).toMatch(/does not match the expected API version \(autoscaling\/v1\)/);
    const right = await raw(sb, 'PUT', url, { body: scale({}) });
    expect(right.status).toBe(200);
    expect(right.body.spec.replicas).toBe(2);
  });

  test('GIVEN a protobuf body of a kind the sandbox has no definitions for THEN 415 naming JSON and YAML', async () => {
    const res = await post(
      '/api/v1/namespaces/default/pods',
      envelope('policy/v1', 'Eviction'),
      'application/vnd.kubernetes.protobuf',
    );
    expect(res).toEqual({ status: 415, body: status415('application/json, application/yaml') });
  });

  test('GIVEN a protobuf body to a custom resource THEN 415, and a body in another type names JSON and YAML only', async () => {
    const vs = '/apis/networking.istio.io/v1/namespaces/default/virtualservices';
    const pb = await post(
      vs,
      envelope('networking.istio.io/v1', 'VirtualService'),
      'application/vnd.kubernetes.protobuf',
    );
    expect(pb).toEqual({ status: 415, body: status415('application/json, application/yaml') });
    const text = await post(vs, Buffer.from('x'), 'text/plain');
    expect(text).toEqual({ status: 415, body: status415('application/json, application/yaml') });
  });

  test('GIVEN a protobuf body that is not a protobuf message THEN 400, as a decode error is', async () => {
    const res = await post('/api/v1/namespaces', Buffer.from('{}'), 'application/vnd.kubernetes.protobuf');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      reason: 'BadRequest',
      message:
        'the object provided is unrecognized (must be of type Namespace): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]',
    });
  });

  test('GIVEN kubectl create -f (JSON) and kubectl create namespace (protobuf) THEN both work', async () => {
    const file = path.join(dir, 'ns.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'y' } }));
    expect(await kubectl(['create', '-f', file])).toMatchObject({ code: 0, stdout: 'namespace/y created\n' });
    expect(await kubectl(['create', 'namespace', 'z'])).toMatchObject({
      code: 0,
      stdout: 'namespace/z created\n',
    });
  });
});
