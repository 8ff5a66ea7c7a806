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
