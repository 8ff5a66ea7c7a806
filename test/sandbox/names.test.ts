/**
 * Names, label keys and values, and annotation sizes are held to apimachinery's rules, with the
 * apiserver's 422 messages: what deploys on the sandbox deploys on a real cluster.
 */
import { deployment, raw, start } from './helpers.js';
import type { Sandbox } from '../../src/sandbox/index.js';

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const VALUE_TOO_LONG = 'must be no more than 63 characters';

describe('names and labels as the apiserver validates them', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    ({ sb } = await start());
  });
  afterAll(() => sb.close());

  test('GIVEN a 64-character label value THEN 422 naming metadata.labels and the 63-character limit', async () => {
    const value = `web-${'v'.repeat(60)}`;
    const d = deployment('long-label');
    (d.metadata.labels as Record<string, string>)['app.oam.dev/revision'] = value;
    const res = await raw(sb, 'POST', DEPLOYMENTS, { body: d });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      message: `Deployment.apps "long-label" is invalid: metadata.labels: Invalid value: "${value}": ${VALUE_TOO_LONG}`,
      details: {
        name: 'long-label',
        group: 'apps',
        kind: 'Deployment',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: "${value}": ${VALUE_TOO_LONG}`,
            field: 'metadata.labels',
          },
        ],
      },
    });
  });

  test('GIVEN a pod template label value of 64 characters THEN 422 at spec.template.metadata.labels', async () => {
    const value = 'r'.repeat(64);
    const d = deployment('tpl') as any;
    d.spec.template.metadata.labels.revision = value;
    const res = await raw(sb, 'POST', DEPLOYMENTS, { body: d });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe(
      `Deployment.apps "tpl" is invalid: spec.template.metadata.labels: Invalid value: "${value}": ${VALUE_TOO_LONG}`,
    );
  });

  test('GIVEN a label key with a bad prefix and a bad name THEN each rule is a cause, listed as the apiserver lists them', async () => {
    const d = deployment('bad-key');
    (d.metadata.labels as Record<string, string>)['Example.com/-x'] = 'y';
    const res = await raw(sb, 'POST', DEPLOYMENTS, { body: d });
    expect(res.status).toBe(422);
    expect(res.body.details.causes.map((c: { message: string }) => c.message)).toEqual([
      `Invalid value: "Example.com/-x": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      `Invalid value: "Example.com/-x": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    ]);
    expect(res.body.message).toMatch(
      /^Deployment\.apps "bad-key" is invalid: \[metadata\.labels: Invalid value: .*, metadata\.labels: Invalid value: .*\]$/,
    );
  });

  test('GIVEN annotations over 256 KiB in total THEN 422 Too long', async () => {
    const res = await raw(sb, 'POST', '/api/v1/namespaces/default/configmaps', {
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'big', annotations: { a: 'x'.repeat(200 * 1024), b: 'y'.repeat(60 * 1024) } },
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe(
      'ConfigMap "big" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes',
    );
    const ok = await raw(sb, 'POST', '/api/v1/namespaces/default/configmaps', {
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'fits', annotations: { a: 'x'.repeat(200 * 1024) } },
      },
    });
    expect(ok.status).toBe(201);
  });

  test('GIVEN a custom resource with a 64-character label value THEN the same 422', async () => {
    const value = 'x'.repeat(64);
    const res = await raw(sb, 'POST', '/apis/networking.istio.io/v1/namespaces/default/destinationrules', {
      body: {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'dr', labels: { 'app.oam.dev/revision': value } },
        spec: { host: 'web' },
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe(
      `DestinationRule.networking.istio.io "dr" is invalid: metadata.labels: Invalid value: "${value}": ${VALUE_TOO_LONG}`,
    );
  });

  test.each([
    [
      'a Service',
      '/api/v1/namespaces/default/services',
      'Service',
      's'.repeat(64),
      'must be no more than 63 characters',
    ],
    ['a Namespace', '/api/v1/namespaces', 'Namespace', 'n'.repeat(64), 'must be no more than 63 characters'],
    ['a Deployment', DEPLOYMENTS, 'Deployment', 'd'.repeat(254), 'must be no more than 253 characters'],
  ])('GIVEN %s name over its limit THEN 422 at metadata.name', async (_what, url, kind, name, why) => {
    const body =
      kind === 'Deployment'
        ? { ...deployment('x'), metadata: { name } }
        : {
            apiVersion: 'v1',
            kind,
            metadata: { name },
            ...(kind === 'Service' ? { spec: { ports: [{ port: 80 }] } } : {}),
          };
    const res = await raw(sb, 'POST', url, { body });
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toContainEqual({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": ${why}`,
      field: 'metadata.name',
    });
  });

  test('GIVEN a Service name that is too long and starts with a digit THEN both rules are causes', async () => {
    const name = `1${'s'.repeat(63)}`;
    const res = await raw(sb, 'POST', '/api/v1/namespaces/default/services', {
      body: { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }] } },
    });
    expect(res.status).toBe(422);
    expect(res.body.details.causes.map((c: { message: string }) => c.message)).toEqual([
      `Invalid value: "${name}": must be no more than 63 characters`,
      `Invalid value: "${name}": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    ]);
  });
});
