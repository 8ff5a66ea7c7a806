/**
 * The cluster adapter against the real sandbox over HTTPS: what the engine relies on, end to end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WaitTimeoutError } from '../../src/cluster/client.js';
import { connect } from '../../src/cluster/connect.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { ClusterError } from '../../src/errors.js';
import { caught } from '../helpers/caught.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { startSandboxClient, type AuditEntry, type SandboxClient } from '../helpers/sandbox.js';
import { auditEntry } from '../helpers/audit.js';
import { systemClock } from '../../src/clock.js';
import type { ClientClock as Clock } from '../../src/cluster/retry.js';

const DEPLOY = { apiVersion: 'apps/v1', kind: 'Deployment' };
const CM = { apiVersion: 'v1', kind: 'ConfigMap' };

function configMap(
  name: string,
  data: Record<string, string>,
  labels: Record<string, string> = {},
): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels }, data };
}

function deployment(name: string, image: string, replicas = 2): KubeObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels: { 'app.oam.dev/name': 'shop' } },
    spec: {
      replicas,
      selector: { matchLabels: { ...labels } },
      template: { metadata: { labels: { ...labels } }, spec: { containers: [{ name: 'main', image }] } },
    },
  };
}

/**
 * The system clock, except that a wait's deadline (the sleep as long as `timeoutMs`) passes only
 * when the test calls `expire`.
 */
function deadlineClock(timeoutMs: number): { clock: Clock; deadlines: number[]; expire: () => void } {
  const deadlines: number[] = [];
  const due: (() => void)[] = [];
  const clock: Clock = {
    now: () => systemClock.now(),
    random: () => systemClock.random(),
    sleep: (ms, signal) => {
      if (ms !== timeoutMs) return systemClock.sleep(ms, signal);
      deadlines.push(ms);
      return new Promise<void>((resolve, reject) => {
        due.push(resolve);
        signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    },
  };
  return { clock, deadlines, expire: () => due.splice(0).forEach((d) => d()) };
}

/** The system clock, with a promise for the next time the client sleeps (backs off before a retry). */
function observedClock(): { clock: Clock; nextSleep: () => Promise<number> } {
  let waiting: ((ms: number) => void)[] = [];
  const clock: Clock = {
    now: () => systemClock.now(),
    random: () => systemClock.random(),
    sleep: (ms, signal) => {
      const woken = waiting;
      waiting = [];
      for (const w of woken) w(ms);
      return systemClock.sleep(ms, signal);
    },
  };
  return { clock, nextSleep: () => new Promise<number>((r) => waiting.push(r)) };
}

/** kubectl rollout status's rules (its DeploymentStatusViewer: observed generation, updated, available). */
function rolledOut(d: KubeObject | undefined): boolean {
  if (!d) return false;
  const spec = d.spec as { replicas?: number };
  const s = (d.status ?? {}) as {
    observedGeneration?: number;
    updatedReplicas?: number;
    replicas?: number;
    availableReplicas?: number;
  };
  const want = spec.replicas ?? 1;
  return (
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
    (s.updatedReplicas ?? 0) >= want &&
    (s.replicas ?? 0) <= (s.updatedReplicas ?? 0) &&
    (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0)
  );
}

describe('against the sandbox', () => {
  let h: SandboxClient;
  beforeAll(async () => {
    h = await startSandboxClient({ sandbox: { readyDelayMs: 50 } });
  });
  afterAll(() => h.close());

  it('knows it talks to the sandbox, in the context namespace', () => {
    expect(h.client.isSandbox).toBe(true);
    expect(h.client.defaultNamespace).toBe('default');
    expect(h.client.server).toBe(h.sandbox.url);
  });

  it('GIVEN no object WHEN applied twice THEN it is created, updated, and a same apply changes nothing', async () => {
    const created = await h.client.apply(configMap('apply-me', { a: '1' }));
    expect(created.metadata.resourceVersion).toBeTruthy();
    const updated = await h.client.apply(configMap('apply-me', { a: '2' }));
    expect(updated.data).toEqual({ a: '2' });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );
    const same = await h.client.apply(configMap('apply-me', { a: '2' }));
    expect(same.metadata.resourceVersion).toBe(updated.metadata.resourceVersion);

    const patches = h.audit().filter((e) => e.method === 'PATCH' && e.path.includes('/configmaps/apply-me'));
    expect(patches.map((e) => e.code)).toEqual([201, 200, 200]);
    for (const p of patches) {
      expect(p.contentType).toBe('application/apply-patch+yaml');
      expect(p.path).toContain('fieldManager=vela-ts');
      expect(p.path).not.toContain('force=');
      expect(p.userAgent).toMatch(/^vela-ts\/0\.1\.0/);
    }
  });

  it('keeps fields the typed models would drop (Istio objects pass through as JSON)', async () => {
    const vs: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews', namespace: 'default' },
      spec: {
        hosts: ['reviews'],
        http: [
          {
            route: [
              { destination: { host: 'reviews', subset: 'v1' }, weight: 90 },
              { destination: { host: 'reviews', subset: 'v2' }, weight: 10 },
            ],
          },
        ],
      },
    };
    await h.client.apply(vs);
    const got = await h.client.get({ ...vs, namespace: 'default', name: 'reviews' });
    expect(got?.spec).toEqual(vs.spec);
  });

  it('get, list by label, delete; a second delete and a get of the deleted say it is gone', async () => {
    await h.client.apply(configMap('one', { x: '1' }, { team: 'a' }));
    await h.client.apply(configMap('two', { x: '2' }, { team: 'b' }));
    expect((await h.client.get({ ...CM, namespace: 'default', name: 'one' }))?.data).toEqual({ x: '1' });
    const listed = await h.client.list(CM, 'default', { labelSelector: 'team=a' });
    expect(listed.items.map((o) => o.metadata.name)).toEqual(['one']);
    expect(listed.items[0]?.kind).toBe('ConfigMap');
    expect(listed.resourceVersion).toBeTruthy();
    expect(await h.client.delete({ ...CM, namespace: 'default', name: 'one' })).toBe(true);
    expect(await h.client.get({ ...CM, namespace: 'default', name: 'one' })).toBeUndefined();
    expect(await h.client.delete({ ...CM, namespace: 'default', name: 'one' })).toBe(false);
  });

  it('GIVEN a stale resourceVersion WHEN replaced THEN 409 Conflict; create of an existing object is AlreadyExists', async () => {
    const first = await h.client.create(configMap('state', { phase: 'running' }));
    const second = await h.client.replace({ ...first, data: { phase: 'suspended' } });
    expect(second.data).toEqual({ phase: 'suspended' });
    const stale = await caught(h.client.replace({ ...first, data: { phase: 'failed' } }));
    expect(stale.status).toBe(409);
    expect(stale.reason).toBe('Conflict');
    expect(stale.message).toBe(
      'ConfigMap "state" in namespace "default" was changed by someone else since it was read (409 Conflict)',
    );
    const again = await caught(h.client.create(configMap('state', {})));
    expect(again.status).toBe(409);
    expect(again.reason).toBe('AlreadyExists');
  });

  it('dryRun writes leave nothing behind', async () => {
    await h.client.apply(configMap('dry', { a: '1' }), { dryRun: true });
    await h.client.create(configMap('dry2', { a: '1' }), { dryRun: true });
    expect(await h.client.get({ ...CM, namespace: 'default', name: 'dry' })).toBeUndefined();
    expect(await h.client.get({ ...CM, namespace: 'default', name: 'dry2' })).toBeUndefined();
    const live = await h.client.apply(configMap('keep', { a: '1' }));
    await h.client.apply(configMap('keep', { a: '2' }), { dryRun: true });
    await h.client.replace({ ...live, data: { a: '3' } }, { dryRun: true });
    expect(await h.client.delete({ ...CM, namespace: 'default', name: 'keep' }, { dryRun: true })).toBe(true);
    expect((await h.client.get({ ...CM, namespace: 'default', name: 'keep' }))?.data).toEqual({ a: '1' });
  });

  it('an unknown field and an invalid object are rejected in plain words, at once', async () => {
    const before = h.audit().length;
    const unknown = deployment('bad', 'nginx');
    (unknown.spec as Record<string, unknown>).replicaz = 3;
    // A real API server answers this apply with a 500 naming the field; retrying cannot fix it.
    const e1 = await caught(h.client.apply(unknown));
    expect(e1.message).toMatch(
      /^the cluster rejected Deployment "bad" in namespace "default": .*\.spec\.replicaz: field not declared in schema/,
    );
    const invalid = deployment('bad', 'nginx');
    (
      invalid.spec as { template: { metadata: { labels: Record<string, string> } } }
    ).template.metadata.labels.app = 'other';
    const e2 = await caught(h.client.apply(invalid));
    expect(e2.status).toBe(422);
    expect(e2.message).toMatch(
      /^the cluster rejected Deployment "bad" in namespace "default": .*`selector` does not match template `labels`/,
    );
    expect(h.audit().length - before).toBe(2);
  });

  it('a missing namespace is said plainly', async () => {
    const err = await caught(
      h.client.apply({ ...configMap('x', {}), metadata: { name: 'x', namespace: 'nope' } }),
    );
    expect(err.message).toBe(
      'namespace "nope" does not exist (create it, or let `vela-ts up` do it with --create-namespace)',
    );
  });

  it('GIVEN a Deployment WHEN its pods become ready THEN waitFor resolves from watch events, without polling', async () => {
    await h.client.apply(deployment('web', 'nginx:1.27'));
    const before = h.audit().length;
    const snap = await h.client.waitFor(DEPLOY, 'default', (objs) => rolledOut(objs.get('web')), {
      labelSelector: 'app.oam.dev/name=shop',
      timeoutMs: 10_000,
    });
    expect((snap.get('web')?.status as { readyReplicas?: number }).readyReplicas).toBe(2);
    const sent = h.audit().slice(before);
    expect(sent.length).toBeLessThanOrEqual(2); // one list, at most one watch
    expect(sent.filter((e) => e.watch).length).toBeLessThanOrEqual(1);
  });

  it('GIVEN an image that never becomes ready THEN waitFor times out with a ClusterError carrying the snapshot', async () => {
    await h.client.apply(deployment('stuck', 'example/never-ready:1'));
    // The wait's deadline runs on the client's clock; here it passes when the test says, once the
    // wait is watching: the watch must be given up then, or the wait would never end.
    const { clock, deadlines, expire } = deadlineClock(400);
    const client = await connect({ kubeconfig: h.kubeconfigPath, cwd: h.dir, env: { HOME: h.dir }, clock });
    try {
      const watching = h.auditEntry(
        'the wait to watch',
        (e) => e.watch === true && e.path.includes('/deployments'),
        h.audit().length,
      );
      const waiting = caught(
        client.waitFor(DEPLOY, 'default', (objs) => rolledOut(objs.get('stuck')), { timeoutMs: 400 }),
      );
      await watching;
      expect(deadlines).toEqual([400]);
      expire();
      const err = await waiting;
      expect(err).toBeInstanceOf(WaitTimeoutError);
      expect(err.reason).toBe('Timeout');
      expect(err.message).toBe('timed out after 400ms waiting for deployments in namespace "default"');
      expect((err as WaitTimeoutError).snapshot.has('stuck')).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('no error message ever carries the token', async () => {
    const errors: ClusterError[] = [];
    const attempts: (() => Promise<unknown>)[] = [
      () => h.client.apply({ ...configMap('x', {}), metadata: { name: 'x', namespace: 'nope' } }),
      () =>
        h.client.replace({
          ...configMap('never-there', {}),
          metadata: { name: 'never-there', namespace: 'default', resourceVersion: '1' },
        }),
      () => h.client.get({ apiVersion: 'example.com/v1', kind: 'Nothing', namespace: 'default', name: 'x' }),
    ];
    for (const a of attempts) errors.push(await caught(a()));
    for (const e of errors) {
      expect(`${e.message}\n${e.stack ?? ''}`).not.toContain(h.sandbox.token);
    }
  });
});

describe('credentials', () => {
  it('GIVEN a wrong token THEN 401 in plain words naming the context, and the token never shows', async () => {
    const h = await startSandboxClient();
    try {
      const wrong = 'wrong-token-abcdef123456';
      const kc = fs.readFileSync(h.kubeconfigPath, 'utf8').replace(h.sandbox.token, wrong);
      fs.writeFileSync(path.join(h.dir, 'wrong'), kc);
      const client = await connect({ kubeconfig: 'wrong', cwd: h.dir, env: { HOME: h.dir } });
      try {
        const err = await caught(client.list(CM, 'default'));
        expect(err.message).toBe(
          'the cluster rejected the credentials (401 Unauthorized) for context "vela-ts-sandbox"',
        );
        expect(err.message + (err.stack ?? '')).not.toContain(wrong);
      } finally {
        await client.close();
      }
      expect(h.audit().filter((e) => e.code === 401)).toHaveLength(1); // not retried
    } finally {
      await h.close();
    }
  });

  it('GIVEN a kubeconfig that does not name the sandbox THEN its answers reveal it', async () => {
    const h = await startSandboxClient();
    try {
      const kc = fs.readFileSync(h.kubeconfigPath, 'utf8').replaceAll('vela-ts-sandbox', 'somewhere');
      fs.writeFileSync(path.join(h.dir, 'renamed'), kc);
      const client = await connect({ kubeconfig: 'renamed', cwd: h.dir, env: { HOME: h.dir } });
      try {
        expect(client.isSandbox).toBe(false);
        await client.list(CM, 'default');
        expect(client.isSandbox).toBe(true);
      } finally {
        await client.close();
      }
    } finally {
      await h.close();
    }
  });
});

describe('a flaky API server', () => {
  it('GIVEN 30% of requests fail and watches are cut WHEN reading and waiting THEN it gets there', async () => {
    // A seeded generator keeps the run reproducible.
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const h = await startSandboxClient({
      sandbox: { readyDelayMs: 1500, failRate: 0.3, random },
      client: { retry: { baseMs: 10, capMs: 100, maxAttempts: 10, budgetMs: 20_000, maxRetryAfterMs: 200 } },
    });
    try {
      // Writes may meet an injected 409; the engine re-reads and re-decides, so the test does too.
      const write = async <T>(fn: () => Promise<T>): Promise<T> => {
        for (;;) {
          try {
            return await fn();
          } catch (err) {
            if (!(err instanceof ClusterError) || err.status !== 409) throw err;
          }
        }
      };
      await write(() => h.client.apply(deployment('flaky', 'nginx:1.27', 3)));
      for (let i = 0; i < 10; i++) await h.client.list(CM, 'default');
      const snap = await h.client.waitFor(DEPLOY, 'default', (objs) => rolledOut(objs.get('flaky')), {
        timeoutMs: 20_000,
      });
      expect((snap.get('flaky')?.status as { readyReplicas?: number }).readyReplicas).toBe(3);
      const codes = new Set(h.audit().map((e) => e.code));
      expect([...codes].some((c) => c === 429 || c === 500 || c === 503)).toBe(true);
    } finally {
      await h.close();
    }
  }, 30_000);

  it('GIVEN the API server restarts during a wait THEN the watch resumes (or re-lists) and the wait completes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-ts-restart-'));
    const statePath = path.join(dir, 'state.json');
    const kubeconfigPath = path.join(dir, 'kubeconfig');
    const auditLogPath = path.join(dir, 'audit.log');
    let sandbox = await startSandbox({
      port: 0,
      statePath,
      kubeconfigPath,
      auditLogPath,
      readyDelayMs: 60_000,
    });
    const port = sandbox.port;
    const { clock, nextSleep } = observedClock();
    const client = await connect({ kubeconfig: kubeconfigPath, cwd: dir, env: { HOME: dir }, clock });
    try {
      await client.apply(deployment('restart', 'nginx:1.27', 1));
      const watching = auditEntry<AuditEntry>(
        auditLogPath,
        'the wait to watch',
        (e) => e.watch === true && e.path.includes('/deployments'),
      );
      const waiting = client.waitFor(DEPLOY, 'default', (objs) => rolledOut(objs.get('restart')), {
        timeoutMs: 20_000,
      });
      await watching;
      // The server goes away mid-watch; it comes back once the client has found it gone and backs off.
      const backingOff = nextSleep();
      await sandbox.close();
      await backingOff;
      // Back on the same port with the same state; pods now become ready quickly.
      sandbox = await startSandbox({ port, statePath, readyDelayMs: 50 });
      const snap = await waiting;
      expect(rolledOut(snap.get('restart'))).toBe(true);
    } finally {
      await client.close();
      await sandbox.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('connect --sandbox', () => {
  it('starts the sandbox in-process with state and kubeconfig under .vela-ts/, and close stops it', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-ts-inproc-'));
    try {
      const client = await connect({
        sandbox: true,
        cwd,
        env: { HOME: cwd },
        sandboxOptions: { readyDelayMs: 10 },
      });
      let closed = false;
      try {
        expect(client.isSandbox).toBe(true);
        expect(client.defaultNamespace).toBe('default');
        expect(fs.existsSync(path.join(cwd, '.vela-ts', 'kubeconfig'))).toBe(true);
        await client.apply(configMap('persisted', { a: '1' }));
        await client.close();
        closed = true;
        expect(fs.existsSync(path.join(cwd, '.vela-ts', 'state.json'))).toBe(true);
        const again = await connect({ sandbox: true, cwd, env: { HOME: cwd } });
        try {
          expect((await again.get({ ...CM, namespace: 'default', name: 'persisted' }))?.data).toEqual({
            a: '1',
          });
        } finally {
          await again.close();
        }
      } finally {
        if (!closed) await client.close();
      }
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});
