import { KubeClusterClient, WaitTimeoutError } from '../../src/cluster/client.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { TransportError } from '../../src/cluster/transport.js';
import { caught } from '../helpers/caught.js';
import { registerSecret } from '../../src/redact.js';
import { FakeClock, FakeTransport, deployment, status } from './fakes.js';

const DEPLOY = { apiVersion: 'apps/v1', kind: 'Deployment' };

function setup(randomValue = 0.5) {
  const transport = new FakeTransport();
  const clock = new FakeClock(randomValue);
  const client = new KubeClusterClient({ transport, clock, defaultNamespace: 'default', context: 'prod' });
  return { transport, clock, client };
}

const allReady = (objs: ReadonlyMap<string, KubeObject>) =>
  objs.size > 0 &&
  [...objs.values()].every((o) => (o.status as { readyReplicas?: number } | undefined)?.readyReplicas === 1);

describe('reads', () => {
  it('GIVEN an object WHEN get THEN it is returned as plain JSON with unknown fields kept', async () => {
    const { transport, client } = setup();
    transport.reply({
      status: 200,
      body: { ...deployment('web', '5'), spec: { replicas: 1, futureField: { x: 1 } } },
    });
    const obj = await client.get({ ...DEPLOY, namespace: 'shop', name: 'web' });
    expect((obj?.spec as Record<string, unknown>).futureField).toEqual({ x: 1 });
    expect(transport.paths()).toEqual(['GET /apis/apps/v1/namespaces/shop/deployments/web']);
  });

  it('GIVEN no object WHEN get THEN undefined', async () => {
    const { transport, client } = setup();
    transport.reply(
      status(404, 'NotFound', 'deployments.apps "web" not found', {
        name: 'web',
        group: 'apps',
        kind: 'deployments',
      }),
    );
    expect(await client.get({ ...DEPLOY, namespace: 'default', name: 'web' })).toBeUndefined();
  });

  it('GIVEN an unknown kind WHEN get THEN it says the cluster does not serve it', async () => {
    const { transport, client } = setup();
    transport.reply(status(404, 'NotFound', 'the server could not find the requested resource'));
    const err = await caught(
      client.get({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        namespace: 'default',
        name: 'x',
      }),
    );
    expect(err.message).toBe(
      'the cluster does not serve VirtualService (networking.istio.io/v1); is Istio installed?',
    );
  });

  it('WHEN list THEN items get apiVersion and kind, and the label selector is sent', async () => {
    const { transport, client } = setup();
    transport.reply({
      status: 200,
      body: {
        kind: 'DeploymentList',
        metadata: { resourceVersion: '42' },
        items: [{ metadata: { name: 'a' } }],
      },
    });
    const res = await client.list(DEPLOY, 'default', { labelSelector: 'app.oam.dev/name=shop' });
    expect(res.resourceVersion).toBe('42');
    expect(res.items[0]).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'a' },
    });
    expect(transport.paths()).toEqual([
      'GET /apis/apps/v1/namespaces/default/deployments?labelSelector=app.oam.dev%2Fname%3Dshop',
    ]);
  });

  it('GIVEN a kind outside the static table WHEN used twice THEN discovery runs once', async () => {
    const { transport, client } = setup();
    transport.reply(
      {
        status: 200,
        body: {
          resources: [
            { name: 'widgets/status', kind: 'Widget', namespaced: true },
            { name: 'widgets', kind: 'Widget', namespaced: true },
          ],
        },
      },
      { status: 200, body: { metadata: { resourceVersion: '1' }, items: [] } },
      { status: 200, body: { metadata: { resourceVersion: '1' }, items: [] } },
    );
    const kind = { apiVersion: 'example.com/v1', kind: 'Widget' };
    await client.list(kind, 'ns');
    await client.list(kind, 'ns');
    expect(transport.paths()).toEqual([
      'GET /apis/example.com/v1',
      'GET /apis/example.com/v1/namespaces/ns/widgets',
      'GET /apis/example.com/v1/namespaces/ns/widgets',
    ]);
  });

  it('cluster-scoped kinds have no namespace in the path', async () => {
    const { transport, client } = setup();
    transport.reply({
      status: 200,
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    });
    await client.get({ apiVersion: 'v1', kind: 'Namespace', namespace: 'ignored', name: 'shop' });
    expect(transport.paths()).toEqual(['GET /api/v1/namespaces/shop']);
  });
});

describe('writes', () => {
  const vs: KubeObject = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews', managedFields: [{ manager: 'x' }] },
    spec: { hosts: ['reviews'] },
  };

  it('apply is a server-side apply PATCH with field manager vela-ts, Strict validation, no force', async () => {
    const { transport, client } = setup();
    transport.reply({
      status: 201,
      body: { ...vs, metadata: { name: 'reviews', namespace: 'default', resourceVersion: '7' } },
    });
    const out = await client.apply(vs);
    expect(out.metadata.resourceVersion).toBe('7');
    const req = transport.requests[0]!;
    expect(req.method).toBe('PATCH');
    expect(req.path).toBe(
      '/apis/networking.istio.io/v1/namespaces/default/virtualservices/reviews?fieldManager=vela-ts&fieldValidation=Strict',
    );
    expect(req.headers?.['Content-Type']).toBe('application/apply-patch+yaml');
    const body = JSON.parse(req.body!) as KubeObject;
    expect(body.metadata).toEqual({ name: 'reviews', namespace: 'default' });
  });

  it('apply with force and dryRun adds force=true and dryRun=All', async () => {
    const { transport, client } = setup();
    transport.reply({ status: 200, body: vs });
    await client.apply(vs, { force: true, dryRun: true });
    expect(transport.requests[0]!.path).toContain('&force=true&dryRun=All');
  });

  it('create POSTs to the collection; replace PUTs the object; dryRun=All on each', async () => {
    const { transport, client } = setup();
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'state', namespace: 'shop', resourceVersion: '3' },
    };
    transport.reply({ status: 201, body: cm }, { status: 200, body: cm });
    await client.create(cm, { dryRun: true });
    await client.replace(cm, { dryRun: true });
    expect(transport.paths()).toEqual([
      'POST /api/v1/namespaces/shop/configmaps?fieldManager=vela-ts&fieldValidation=Strict&dryRun=All',
      'PUT /api/v1/namespaces/shop/configmaps/state?fieldManager=vela-ts&fieldValidation=Strict&dryRun=All',
    ]);
    expect(JSON.parse(transport.requests[1]!.body!)).toMatchObject({ metadata: { resourceVersion: '3' } });
  });

  it('delete uses background propagation, and a missing object resolves false', async () => {
    const { transport, client } = setup();
    transport.reply(
      { status: 200, body: {} },
      status(404, 'NotFound', 'deployments.apps "web" not found', { name: 'web', kind: 'deployments' }),
    );
    expect(await client.delete({ ...DEPLOY, namespace: 'default', name: 'web' })).toBe(true);
    expect(await client.delete({ ...DEPLOY, namespace: 'default', name: 'web' })).toBe(false);
    expect(transport.paths()[0]).toBe(
      'DELETE /apis/apps/v1/namespaces/default/deployments/web?propagationPolicy=Background',
    );
  });

  it('a stale replace is a 409 Conflict for the caller to re-read', async () => {
    const { transport, client } = setup();
    transport.reply(
      status(
        409,
        'Conflict',
        'Operation cannot be fulfilled on configmaps "state": the object has been modified; please apply your changes to the latest version and try again',
      ),
    );
    const err = await caught(
      client.replace({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'state', resourceVersion: '1' },
      }),
    );
    expect(err.status).toBe(409);
    expect(err.reason).toBe('Conflict');
    expect(err.message).toBe(
      'ConfigMap "state" in namespace "default" was changed by someone else since it was read (409 Conflict)',
    );
    expect(transport.requests).toHaveLength(1);
  });

  it('an SSA field conflict quotes the server', async () => {
    const { transport, client } = setup();
    transport.reply(
      status(
        409,
        'Conflict',
        'Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas',
        {
          causes: [{ reason: 'FieldManagerConflict', field: '.spec.replicas' }],
        },
      ),
    );
    const err = await caught(client.apply({ ...DEPLOY, metadata: { name: 'web' } }));
    expect(err.message).toBe(
      'the cluster rejected Deployment "web" in namespace "default": Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas',
    );
  });
});

describe('retries', () => {
  const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };

  it('GIVEN 503, 429 with Retry-After, 500 WHEN get THEN it retries with jittered backoff and honours Retry-After', async () => {
    const { transport, clock, client } = setup(0.5);
    transport.reply(
      status(503, 'ServiceUnavailable', 'overloaded'),
      {
        ...(status(429, 'TooManyRequests', 'slow down') as { status: number; body: unknown }),
        headers: { 'retry-after': '2' },
      },
      status(500, 'InternalError', 'etcd hiccup'),
      { status: 200, body: cm },
    );
    expect(await client.get({ ...cm, namespace: 'default', name: 'c' })).toMatchObject(cm);
    // full jitter at random 0.5: 0.5 * 200, max(0.5 * 400, 2000), 0.5 * 800
    expect(clock.sleeps).toEqual([100, 2000, 400]);
    expect(transport.requests).toHaveLength(4);
  });

  it('GIVEN a connection reset after the server has answered WHEN apply THEN it is retried', async () => {
    const { transport, client } = setup();
    transport.everConnected = true;
    transport.reply(
      new TransportError('ECONNRESET', 'connection reset'),
      new TransportError('ECONNREFUSED', 'connection refused'),
      { status: 200, body: cm },
    );
    await client.apply(cm);
    expect(transport.requests).toHaveLength(3);
  });

  it('GIVEN a server that never answered WHEN the connection is refused THEN it fails at once in plain words', async () => {
    const { transport, client } = setup();
    transport.reply(new TransportError('ECONNREFUSED', 'connection refused'));
    const err = await caught(client.get({ ...cm, namespace: 'default', name: 'c' }));
    expect(err.message).toBe(
      'cannot reach the cluster at https://10.0.0.1:6443 (connection refused); check --kubeconfig/--context',
    );
    expect(err.status).toBe(0);
    expect(transport.requests).toHaveLength(1);
  });

  it('GIVEN 503 forever THEN it gives up after 8 attempts and says so', async () => {
    const { transport, client } = setup();
    for (let i = 0; i < 8; i++) transport.reply(status(503, 'ServiceUnavailable', 'down'));
    const err = await caught(client.get({ ...cm, namespace: 'default', name: 'c' }));
    expect(transport.requests).toHaveLength(8);
    expect(err.status).toBe(503);
    expect(err.message).toBe(
      'the cluster at https://10.0.0.1:6443 could not get ConfigMap "c" in namespace "default" (503 Service Unavailable) after 8 attempts: down',
    );
  });

  it.each([
    [400, 'BadRequest'],
    [401, 'Unauthorized'],
    [403, 'Forbidden'],
    [422, 'Invalid'],
  ])('a %i fails at once', async (code, reason) => {
    const { transport, client } = setup();
    transport.reply(status(code, reason, 'no'));
    const err = await caught(client.apply(cm));
    expect(err.status).toBe(code);
    expect(transport.requests).toHaveLength(1);
  });

  it('the 500 an apply with an undeclared field gets is a rejection, not an outage', async () => {
    const { transport, client } = setup();
    transport.reply(
      status(
        500,
        '',
        'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.foo: field not declared in schema',
      ),
    );
    const err = await caught(client.apply({ ...DEPLOY, metadata: { name: 'web' } }));
    expect(transport.requests).toHaveLength(1);
    expect(err.message).toContain(
      'the cluster rejected Deployment "web" in namespace "default": failed to create typed patch object',
    );
  });

  it('GIVEN a create whose answer was lost WHEN the retry meets AlreadyExists THEN that is surfaced as such', async () => {
    const { transport, client } = setup();
    transport.reply(
      status(503, 'ServiceUnavailable', 'timeout'),
      status(409, 'AlreadyExists', 'configmaps "c" already exists'),
    );
    const err = await caught(client.create(cm));
    expect(err.status).toBe(409);
    expect(err.reason).toBe('AlreadyExists');
    expect(err.message).toBe(
      'ConfigMap "c" already exists in namespace "default" (an earlier attempt that got no answer may have created it)',
    );
  });
});

describe('error messages', () => {
  it('401 names the context', async () => {
    const { transport, client } = setup();
    transport.reply(status(401, 'Unauthorized', 'Unauthorized'));
    const err = await caught(client.list(DEPLOY, 'default'));
    expect(err.message).toBe('the cluster rejected the credentials (401 Unauthorized) for context "prod"');
  });

  it('403 says what was not allowed', async () => {
    const { transport, client } = setup();
    transport.reply(
      status(403, 'Forbidden', 'deployments.apps "reviews-v1" is forbidden: User "ci" cannot patch resource'),
    );
    const err = await caught(client.apply({ ...DEPLOY, metadata: { name: 'reviews-v1' } }));
    expect(err.message).toBe(
      'not allowed: cannot patch deployments.apps "reviews-v1" in namespace "default" (403); `kubectl auth can-i patch deployments.apps -n default` checks it, and examples/rbac/role.yaml is the Role vela-ts needs',
    );
  });

  it('a missing namespace is said plainly', async () => {
    const { transport, client } = setup();
    transport.reply(
      status(404, 'NotFound', 'namespaces "foo" not found', { name: 'foo', kind: 'namespaces' }),
    );
    const err = await caught(client.apply({ ...DEPLOY, metadata: { name: 'web', namespace: 'foo' } }));
    expect(err.message).toBe(
      'namespace "foo" does not exist (create it, or let `vela-ts up` do it with --create-namespace)',
    );
  });

  it('422 quotes the Status message', async () => {
    const { transport, client } = setup();
    transport.reply(
      status(
        422,
        'Invalid',
        'VirtualService.networking.istio.io "reviews" is invalid: spec.http[0].route: Required value',
      ),
    );
    const err = await caught(
      client.apply({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'reviews' },
      }),
    );
    expect(err.message).toBe(
      'the cluster rejected VirtualService "reviews" in namespace "default": VirtualService.networking.istio.io "reviews" is invalid: spec.http[0].route: Required value',
    );
  });

  it('never includes a registered token, even when the server echoes it', async () => {
    const token = 'sekrit-token-0123456789';
    registerSecret(token);
    const { transport, client } = setup();
    transport.reply(status(422, 'Invalid', `bad object; Authorization: Bearer ${token}; token=${token}`));
    const err = await caught(client.apply({ ...DEPLOY, metadata: { name: 'web' } }));
    expect(err.message).not.toContain(token);
    expect(err.message).toContain('[REDACTED]');
  });
});

describe('waitFor', () => {
  const list = (rv: string, ...items: unknown[]) => ({
    status: 200,
    body: { metadata: { resourceVersion: rv }, items },
  });

  it('GIVEN the condition already holds WHEN waitFor THEN it resolves from the list alone', async () => {
    const { transport, client } = setup();
    transport.reply(list('10', deployment('web', '9', 1)));
    const snap = await client.waitFor(DEPLOY, 'default', allReady, { timeoutMs: 60_000 });
    expect(snap.get('web')).toBeDefined();
    expect(transport.paths()).toEqual(['GET /apis/apps/v1/namespaces/default/deployments']);
  });

  it('GIVEN a not-ready deployment WHEN a MODIFIED event makes it ready THEN waitFor resolves, watching from the list RV', async () => {
    const { transport, client } = setup();
    transport.reply(list('10', deployment('web', '9', 0)));
    transport.watches({ lines: [{ type: 'MODIFIED', object: deployment('web', '11', 1) }], then: 'hang' });
    const snap = await client.waitFor(DEPLOY, 'default', allReady, {
      timeoutMs: 60_000,
      labelSelector: 'a=b',
    });
    expect(snap.get('web')?.metadata.resourceVersion).toBe('11');
    expect(transport.paths()[1]).toBe(
      'GET /apis/apps/v1/namespaces/default/deployments?labelSelector=a%3Db&watch=1&resourceVersion=10&allowWatchBookmarks=true&timeoutSeconds=300',
    );
  });

  it('GIVEN a watch cut mid-way WHEN it resumes THEN it continues from the last resourceVersion seen, without re-listing', async () => {
    const { transport, client } = setup();
    transport.reply(list('10', deployment('web', '9', 0), deployment('api', '8', 0)));
    transport.watches(
      { lines: [{ type: 'MODIFIED', object: deployment('web', '12', 1) }], then: 'reset' },
      { lines: [{ type: 'BOOKMARK', object: { metadata: { resourceVersion: '20' } } }], then: 'end' },
      { lines: [{ type: 'MODIFIED', object: deployment('api', '21', 1) }], then: 'hang' },
    );
    await client.waitFor(DEPLOY, 'default', allReady, { timeoutMs: 60_000 });
    const watches = transport.requests
      .filter((r) => r.path.includes('watch=1'))
      .map((r) => /resourceVersion=(\d+)/.exec(r.path)?.[1]);
    expect(watches).toEqual(['10', '12', '20']);
    expect(transport.requests.filter((r) => !r.path.includes('watch=1'))).toHaveLength(1);
  });

  it('GIVEN an ERROR 410 event WHEN watching THEN it re-lists', async () => {
    const { transport, client } = setup();
    transport.reply(list('10', deployment('web', '9', 0)), list('30', deployment('web', '29', 1)));
    transport.watches({
      lines: [
        {
          type: 'ERROR',
          object: {
            kind: 'Status',
            code: 410,
            reason: 'Expired',
            message: 'too old resource version: 10 (25)',
          },
        },
      ],
      then: 'hang',
    });
    const snap = await client.waitFor(DEPLOY, 'default', allReady, { timeoutMs: 60_000 });
    expect(snap.get('web')?.metadata.resourceVersion).toBe('29');
    expect(transport.requests).toHaveLength(3);
  });

  it('GIVEN an HTTP 410 on the watch THEN it re-lists too', async () => {
    const { transport, client } = setup();
    transport.reply(list('10', deployment('web', '9', 0)), list('30', deployment('web', '29', 1)));
    transport.watches({ status: 410, body: { kind: 'Status', code: 410, reason: 'Gone' } });
    await client.waitFor(DEPLOY, 'default', allReady, { timeoutMs: 60_000 });
    expect(transport.requests).toHaveLength(3);
  });

  it('GIVEN DELETED events THEN the object leaves the snapshot', async () => {
    const { transport, client } = setup();
    transport.reply(list('10', deployment('old', '9', 0)));
    transport.watches({ lines: [{ type: 'DELETED', object: deployment('old', '11', 0) }], then: 'hang' });
    const snap = await client.waitFor(DEPLOY, 'default', (objs) => objs.size === 0, { timeoutMs: 60_000 });
    expect(snap.size).toBe(0);
  });

  it('GIVEN a watch that stays open but goes silent (no event, no bookmark) THEN after 90 s it re-lists, and the list shows it ready', async () => {
    const { transport, clock, client } = setup();
    transport.reply(list('10', deployment('web', '9', 0)), list('30', deployment('web', '29', 1)));
    // Its first chunk arrives; then nothing ever again, though the connection stays open.
    transport.watches({ lines: [{ type: 'MODIFIED', object: deployment('web', '11', 0) }], then: 'hang' });
    const seen = (objs: ReadonlyMap<string, KubeObject>) => {
      if (objs.get('web')?.metadata.resourceVersion === '11') setImmediate(() => clock.advance(90_000));
      return allReady(objs);
    };
    const snap = await client.waitFor(DEPLOY, 'default', seen, { timeoutMs: 600_000 });
    expect(snap.get('web')?.metadata.resourceVersion).toBe('29');
    expect(transport.paths().filter((p) => !p.includes('watch=1'))).toHaveLength(2);
  });

  it('GIVEN it never becomes ready THEN it times out with a ClusterError (reason Timeout) carrying the last snapshot', async () => {
    const { transport, clock, client } = setup();
    transport.reply(list('10', deployment('web', '9', 0)));
    transport.watches({ lines: [{ type: 'MODIFIED', object: deployment('web', '11', 0) }], then: 'hang' });
    // Time runs out once the last event has been seen.
    const notReadyYet = (objs: ReadonlyMap<string, KubeObject>) => {
      if (objs.get('web')?.metadata.resourceVersion === '11') setImmediate(() => clock.advance(120_000));
      return allReady(objs);
    };
    const err = await caught(client.waitFor(DEPLOY, 'default', notReadyYet, { timeoutMs: 120_000 }));
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(err.reason).toBe('Timeout');
    expect(err.message).toBe('timed out after 2m waiting for deployments in namespace "default"');
    expect((err as WaitTimeoutError).snapshot.get('web')?.metadata.resourceVersion).toBe('11');
  });

  it('GIVEN an abort signal WHEN it fires THEN waitFor rejects with reason Aborted', async () => {
    const { transport, client } = setup();
    transport.reply(list('10', deployment('web', '9', 0)));
    const ctrl = new AbortController();
    // The caller gives up while the wait is watching.
    transport.onStream = () => ctrl.abort();
    const p = client.waitFor(DEPLOY, 'default', allReady, { timeoutMs: 600_000, signal: ctrl.signal });
    const err = await caught(p);
    expect(err.reason).toBe('Aborted');
  });

  it('GIVEN a 403 on the watch THEN it fails at once', async () => {
    const { transport, client } = setup();
    transport.reply(list('10', deployment('web', '9', 0)));
    transport.watches({
      status: 403,
      body: { kind: 'Status', code: 403, reason: 'Forbidden', message: 'no' },
    });
    const err = await caught(client.waitFor(DEPLOY, 'default', allReady, { timeoutMs: 60_000 }));
    expect(err.message).toBe(
      'not allowed: cannot watch deployments.apps in namespace "default" (403); `kubectl auth can-i watch deployments.apps -n default` checks it, and examples/rbac/role.yaml is the Role vela-ts needs',
    );
  });
});
