/**
 * What a real apiserver stores is what it decoded into Go structs: quantities in canonical form,
 * and empty omitempty fields gone. The sandbox stores the same, on every write path.
 */
import { deployment, raw, start } from './helpers.js';

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';

const withResources = (name: string) =>
  deployment(name, 1, 'nginx:1.27', {
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'nginx:1.27',
            args: [],
            env: [
              { name: 'EMPTY', value: '' },
              { name: 'SET', value: 'x' },
            ],
            resources: {
              requests: { cpu: '0.5', memory: '1024Mi' },
              limits: { cpu: '1000m', memory: 1073741824, 'ephemeral-storage': '1.5Gi' },
            },
            readinessProbe: { httpGet: { port: 8080 }, initialDelaySeconds: 0 },
          },
        ],
      },
    },
  });

const EXPECTED_CONTAINER = {
  env: [{ name: 'EMPTY' }, { name: 'SET', value: 'x' }],
  resources: {
    requests: { cpu: '500m', memory: '1Gi' },
    // A JSON number is a decimal quantity: it never comes back with a binary suffix.
    limits: { cpu: '1', memory: '1073741824', 'ephemeral-storage': '1536Mi' },
  },
};

describe('objects as the apiserver stores them', () => {
  test('GIVEN a create with cpu 0.5, memory 1024Mi and an empty env value THEN it reads back 500m, 1Gi and no value', async () => {
    const { sb } = await start();
    try {
      const created = await raw(sb, 'POST', DEPLOYMENTS, { body: withResources('web') });
      expect(created.status).toBe(201);
      const got = await raw(sb, 'GET', `${DEPLOYMENTS}/web`);
      const c = got.body.spec.template.spec.containers[0];
      expect(c).toMatchObject(EXPECTED_CONTAINER);
      expect(c.env[0]).toEqual({ name: 'EMPTY' });
      expect(c).not.toHaveProperty('args');
      expect(c.readinessProbe).not.toHaveProperty('initialDelaySeconds');
      expect(created.body.spec.template.spec.containers[0]).toEqual(c);
    } finally {
      await sb.close();
    }
  });

  test('GIVEN the same object through server-side apply, a merge patch and a replace THEN each stores the canonical form', async () => {
    const { sb } = await start();
    try {
      const applied = await raw(sb, 'PATCH', `${DEPLOYMENTS}/web?fieldManager=test`, {
        body: withResources('web'),
        contentType: 'application/apply-patch+yaml',
      });
      expect(applied.status).toBe(201);
      expect(applied.body.spec.template.spec.containers[0]).toMatchObject(EXPECTED_CONTAINER);

      // Applying the same spelling again leaves the spec as it was (the controller may have written status).
      const again = await raw(sb, 'PATCH', `${DEPLOYMENTS}/web?fieldManager=test`, {
        body: withResources('web'),
        contentType: 'application/apply-patch+yaml',
      });
      expect(again.body.metadata.generation).toBe(1);

      const patch = {
        spec: {
          template: {
            spec: {
              containers: [{ name: 'app', resources: { requests: { cpu: '0.25', memory: '0.5Gi' } } }],
            },
          },
        },
      };
      const merged = await raw(sb, 'PATCH', `${DEPLOYMENTS}/web`, {
        body: patch,
        contentType: 'application/strategic-merge-patch+json',
      });
      expect(merged.status).toBe(200);
      expect(merged.body.spec.template.spec.containers[0].resources.requests).toEqual({
        cpu: '250m',
        memory: '512Mi',
      });

      // Unconditional (no resourceVersion): the controller writes status meanwhile.
      const put = { ...merged.body, metadata: { name: 'web', namespace: 'default' } };
      put.spec.template.spec.containers[0].resources.limits.cpu = '2000m';
      put.spec.template.spec.containers[0].env = [{ name: 'EMPTY', value: '' }];
      const replaced = await raw(sb, 'PUT', `${DEPLOYMENTS}/web`, { body: put });
      expect(replaced.status).toBe(200);
      expect(replaced.body.spec.template.spec.containers[0].resources.limits.cpu).toBe('2');
      expect(replaced.body.spec.template.spec.containers[0].env).toEqual([{ name: 'EMPTY' }]);
    } finally {
      await sb.close();
    }
  });

  test('GIVEN a quantity that does not parse THEN 400, as the decoder answers', async () => {
    const { sb } = await start();
    try {
      const bad = withResources('web') as any;
      bad.spec.template.spec.containers[0].resources.requests.cpu = 'half';
      const res = await raw(sb, 'POST', DEPLOYMENTS, { body: bad });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        kind: 'Status',
        reason: 'BadRequest',
        message:
          'Deployment in version "v1" cannot be handled as a Deployment: quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
      });
    } finally {
      await sb.close();
    }
  });
});
