import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { kubevelaExamples, repoRoot } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface RoleDoc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
}

/** What the API server's authorizer sees of a request (its RequestInfo), for resource requests. */
interface Attributes {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
}

function attributesOf(method: string, url: string): Attributes | undefined {
  const [p = '', q = ''] = url.split('?');
  const parts = p.split('/').filter(Boolean);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) [group, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 4) [group, rest] = [parts[1] as string, parts.slice(3)];
  else return undefined; // discovery, /version, /openapi: open to every authenticated user
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource = '', name, sub] = rest;
  const watch = /(^|&)watch=(true|1)/.test(q);
  const verb =
    method === 'GET'
      ? watch
        ? 'watch'
        : name
          ? 'get'
          : 'list'
      : ({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: name ? 'delete' : 'deletecollection' }[
          method
        ] ?? method);
  return {
    verb,
    group,
    resource: sub ? `${resource}/${sub}` : resource,
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
  };
}

function allowedBy(docs: RoleDoc[], a: Attributes): boolean {
  const roles = docs.filter((d) =>
    a.namespace ? d.kind === 'Role' && d.metadata.namespace === a.namespace : d.kind === 'ClusterRole',
  );
  return roles.some((r) =>
    (r.rules ?? []).some(
      (rule) =>
        rule.apiGroups.includes(a.group) &&
        rule.resources.includes(a.resource) &&
        rule.verbs.includes(a.verb) &&
        (!rule.resourceNames || (a.name !== undefined && rule.resourceNames.includes(a.name))),
    ),
  );
}

describe('examples/rbac/role.yaml covers every request vela-ts makes', () => {
  let c: SandboxCluster;
  beforeAll(async () => {
    c = await new SandboxCluster().start();
  });
  afterAll(() => c.stop());

  it('GIVEN a whole rollout, its status, history, diff, rollback and delete THEN the Role allows each request', async () => {
    const seed = (f: string) => path.join(kubevelaExamples, f);
    const steps: string[][] = [
      ['up', seed('first-deploy.yaml')],
      ['up', seed('rollout-v2.yaml'), '--no-prompt'],
      ['status', 'book-info'],
      ['diff', path.join(repoRoot, 'examples/bookinfo/release.yaml')],
      ['workflow', 'resume', 'book-info', '--no-prompt'],
      ['history', 'book-info'],
      ['ls'],
      ['rollback', 'book-info'],
      ['delete', 'book-info', '--yes'],
    ];
    for (const args of steps) {
      const res = await c.vela(args);
      expect({ args, code: res.code, stderr: res.stderr }).toMatchObject({
        code: args[0] === 'diff' ? 1 : 0,
      });
    }
    // The Role as shipped, for the test's namespace.
    const text = readFileSync(path.join(repoRoot, 'examples/rbac/role.yaml'), 'utf8').replaceAll(
      'shop',
      'default',
    );
    const docs = yaml.loadAll(text) as RoleDoc[];
    const requests = c
      .audit()
      .filter((l) => l.userAgent?.startsWith('vela-ts'))
      .map((l) => ({ line: `${l.method} ${l.path}`, attrs: attributesOf(l.method, l.path) }))
      .filter((r): r is { line: string; attrs: Attributes } => r.attrs !== undefined);
    expect(requests.length).toBeGreaterThan(50);
    const denied = requests.filter((r) => !allowedBy(docs, r.attrs)).map((r) => r.line);
    expect(denied).toEqual([]);
    // And it grants nothing vela-ts never touches (the metrics Role serves gates, not run here).
    const used = new Set(requests.map((r) => `${r.attrs.group}/${r.attrs.resource}`));
    const granted = docs
      .filter((d) => d.metadata.name !== 'vela-ts-metrics')
      .flatMap((d) =>
        (d.rules ?? []).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((x) => `${g}/${x}`))),
      );
    expect(granted.filter((g) => !used.has(g))).toEqual([]);
    expect(
      allowedBy(docs, { verb: 'get', group: '', resource: 'secrets', namespace: 'default', name: 'x' }),
    ).toBe(false);
  });
});

/** The sandbox's RBAC authorizer, as a real API server's: vela-ts runs as a service account bound to the shipped Role. */
describe('a whole rollout as a service account bound to examples/rbac/role.yaml, against an RBAC authorizer', () => {
  const SA = 'system:serviceaccount:ci:vela-ts';
  const RBAC = '/apis/rbac.authorization.k8s.io/v1';
  let c: SandboxCluster;
  const seed = (f: string) => path.join(kubevelaExamples, f);
  const asSa = (args: string[]) => c.vela(['--context', c.sandbox.users[SA]!.context, ...args]);

  /** The shipped file for the test's namespace (its subject is the service account as shipped), filtered and edited. */
  const shipped = (
    keep: (d: RoleDoc) => boolean = () => true,
    edit: (d: RoleDoc) => void = () => undefined,
  ) =>
    (
      yaml.loadAll(
        readFileSync(path.join(repoRoot, 'examples/rbac/role.yaml'), 'utf8').replaceAll('shop', 'default'),
      ) as RoleDoc[]
    )
      .filter(keep)
      .map((d) => (edit(d), d));
  const apply = async (docs: RoleDoc[]) => {
    for (const d of docs) {
      const plural = `${d.kind.toLowerCase()}s`;
      const base = d.metadata.namespace
        ? `${RBAC}/namespaces/${d.metadata.namespace}/${plural}`
        : `${RBAC}/${plural}`;
      const old = await c.request('GET', `${base}/${d.metadata.name}`);
      const res =
        old.code === 200
          ? await c.request('PUT', `${base}/${d.metadata.name}`, {
              ...d,
              metadata: {
                ...d.metadata,
                resourceVersion: (old.body as { metadata: { resourceVersion: string } }).metadata
                  .resourceVersion,
              },
            })
          : await c.request('POST', base, d);
      expect({ doc: `${d.kind} ${d.metadata.name}`, code: res.code }).toEqual({
        doc: `${d.kind} ${d.metadata.name}`,
        code: old.code === 200 ? 200 : 201,
      });
    }
  };
  const unbindAll = async () => {
    for (const d of shipped()) {
      const plural = `${d.kind.toLowerCase()}s`;
      const base = d.metadata.namespace
        ? `${RBAC}/namespaces/${d.metadata.namespace}/${plural}`
        : `${RBAC}/${plural}`;
      await c.request('DELETE', `${base}/${d.metadata.name}`);
    }
  };

  beforeAll(async () => {
    c = await new SandboxCluster(30, 0, { users: [SA] }).start();
    await c.createNamespace('istio-system', false);
  });
  afterAll(() => c.stop());
  afterEach(async () => {
    await unbindAll();
    await c.vela(['delete', 'book-info', '--yes']);
  });

  it('GIVEN the whole file bound THEN up, the rollout, resume, rollback, status and delete all succeed, and nothing was refused', async () => {
    await apply(shipped());
    const before = c.audit().length;
    const steps: string[][] = [
      ['up', seed('first-deploy.yaml')],
      ['up', seed('rollout-v2.yaml'), '--no-prompt'],
      ['workflow', 'resume', 'book-info', '--no-prompt'],
      ['rollback', 'book-info'],
      ['status', 'book-info'],
      ['delete', 'book-info', '--yes'],
    ];
    for (const args of steps) {
      const res = await asSa(args);
      expect({ args, code: res.code, stderr: res.stderr }).toEqual({
        args,
        code: 0,
        stderr: expect.any(String),
      });
      expect(res.stderr).not.toMatch(/not allowed|Forbidden|mesh/);
    }
    const refused = c
      .audit()
      .slice(before)
      .filter((l) => l.code === 403)
      .map((l) => `${l.method} ${l.path}`);
    expect(refused).toEqual([]);
    expect(await c.deployments()).toEqual({});
  });

  it('GIVEN the Role without the optional namespace reader THEN up only warns that the mesh cannot be checked', async () => {
    await apply(shipped((d) => !d.kind.startsWith('Cluster')));
    const res = await asSa(['up', seed('first-deploy.yaml')]);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain(
      'cannot tell whether default is in the Istio mesh: namespace default could not be read (Forbidden)',
    );
    expect(Object.keys(await c.deployments()).sort()).toEqual([
      'details',
      'productpage',
      'ratings',
      'reviews-v1',
    ]);
  });

  it('GIVEN a Role without leases THEN up exits 1 naming the refused verb and resource and writes nothing', async () => {
    await apply(
      shipped(
        (d) => d.metadata.name === 'vela-ts',
        (d) => {
          if (d.rules) d.rules = d.rules.filter((r) => !r.resources.includes('leases'));
        },
      ),
    );
    const before = c.audit().length;
    const res = await asSa(['up', seed('first-deploy.yaml')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      'error: not allowed: cannot get leases.coordination.k8s.io "vela-ts-book-info" in namespace "default" (403); `kubectl auth can-i get leases.coordination.k8s.io -n default` checks it, and examples/rbac/role.yaml is the Role vela-ts needs',
    );
    const writes = c
      .audit()
      .slice(before)
      .filter((l) => l.userAgent?.startsWith('vela-ts') && l.method !== 'GET');
    expect(writes).toEqual([]);
  });

  it('GIVEN a Role without patch on deployments THEN up exits 1 naming it, with no workload written and the lease released, and succeeds once the Role has it', async () => {
    const withoutPatch = shipped(
      (d) => d.metadata.name === 'vela-ts',
      (d) => {
        for (const r of d.rules ?? [])
          if (r.resources.includes('deployments')) r.verbs = r.verbs.filter((v) => v !== 'patch');
      },
    );
    await apply(withoutPatch);
    const res = await asSa(['up', seed('first-deploy.yaml')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /error: not allowed: cannot patch deployments\.apps "[a-z0-9-]+" in namespace "default" \(403\); `kubectl auth can-i patch deployments\.apps -n default` checks it, and examples\/rbac\/role\.yaml is the Role vela-ts needs/,
    );
    expect(await c.deployments()).toEqual({});
    for (const [g, r] of [
      ['v1', 'services'],
      ['networking.istio.io/v1', 'virtualservices'],
      ['networking.istio.io/v1', 'destinationrules'],
    ] as const)
      expect({ r, items: await c.list(g, r) }).toEqual({ r, items: [] });
    const lease = await c.get('coordination.k8s.io/v1', 'leases', 'vela-ts-book-info');
    // Released (no holder), so the next run is not locked out.
    expect((lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? '').toBe('');

    await apply(shipped((d) => d.metadata.name === 'vela-ts'));
    const again = await asSa(['up', seed('first-deploy.yaml')]);
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(Object.keys(await c.deployments()).sort()).toEqual([
      'details',
      'productpage',
      'ratings',
      'reviews-v1',
    ]);
  });
});
