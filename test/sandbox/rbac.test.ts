/**
 * The sandbox authorizes non-admin users as kube-apiserver's RBAC authorizer does, and refuses
 * with its 403 Status (responsewriters.Forbidden, apierrors.NewForbidden).
 */
import path from 'node:path';
import yaml from 'js-yaml';
import { SandboxUserError, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { sharedTls } from '../helpers/tls.js';
import { raw, start, tmpDir } from './helpers.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const SSAR = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
const SA = 'system:serviceaccount:ci:vela-ts';

describe('RBAC in the sandbox', () => {
  let sb: Sandbox;
  const as = (user: string) => sb.users[user]!.token;
  const admin = (method: string, p: string, body?: unknown) =>
    raw(sb, method, p, body === undefined ? {} : { body });
  const role = (ns: string, name: string, rules: unknown[]) =>
    admin('POST', `${RBAC}/namespaces/${ns}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name },
      rules,
    });
  const bind = (ns: string, name: string, roleRef: { kind: string; name: string }, subjects: unknown[]) =>
    admin('POST', `${RBAC}/namespaces/${ns}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
      subjects,
    });
  const user = (name: string) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });

  beforeAll(async () => {
    ({ sb } = await start({ users: ['ci', 'other', SA] }));
    for (const ns of ['shop', 'ci'])
      expect(
        (
          await admin('POST', '/api/v1/namespaces', {
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name: ns },
          })
        ).status,
      ).toBe(201);
  });
  afterAll(() => sb.close());

  it('GIVEN a fresh sandbox THEN the bootstrap policy is there, as on every cluster, and the admin is cluster-admin', async () => {
    const roles = await admin('GET', `${RBAC}/clusterroles`);
    expect(roles.status).toBe(200);
    expect(roles.body.items.map((r: any) => r.metadata.name)).toEqual(
      expect.arrayContaining([
        'cluster-admin',
        'system:discovery',
        'system:basic-user',
        'system:public-info-viewer',
      ]),
    );
    const crb = await admin('GET', `${RBAC}/clusterrolebindings/cluster-admin`);
    expect(crb.body.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' },
    ]);
    expect((await admin('GET', '/api/v1/namespaces/kube-system/secrets')).status).toBe(200);
  });

  it('GIVEN a user with no binding THEN discovery, OpenAPI and /version answer, and resources are a 403 in the apiserver words', async () => {
    for (const p of ['/api', '/apis', '/api/v1', '/apis/apps/v1', '/openapi/v3', '/version'])
      expect({ p, status: (await raw(sb, 'GET', p, { token: as('ci') })).status }).toEqual({
        p,
        status: 200,
      });

    const patch = await raw(sb, 'PATCH', '/apis/apps/v1/namespaces/shop/deployments/web', {
      token: as('ci'),
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 2 } },
    });
    expect(patch.status).toBe(403);
    expect(patch.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'deployments.apps "web" is forbidden: User "ci" cannot patch resource "deployments" in API group "apps" in the namespace "shop"',
      reason: 'Forbidden',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
      code: 403,
    });

    const list = await raw(sb, 'GET', '/api/v1/namespaces', { token: as('ci') });
    expect(list.status).toBe(403);
    expect(list.body.message).toBe(
      'namespaces is forbidden: User "ci" cannot list resource "namespaces" in API group "" at the cluster scope',
    );
    expect(list.body.details).toEqual({ kind: 'namespaces' });
    // RequestInfo puts a namespace's own name in the namespace attribute, as upstream does.
    const getNs = await raw(sb, 'GET', '/api/v1/namespaces/shop', { token: as('ci') });
    expect(getNs.body.message).toBe(
      'namespaces "shop" is forbidden: User "ci" cannot get resource "namespaces" in API group "" in the namespace "shop"',
    );
    const watch = await raw(sb, 'GET', '/api/v1/namespaces/shop/configmaps?watch=true', { token: as('ci') });
    expect(watch.body.message).toBe(
      'configmaps is forbidden: User "ci" cannot watch resource "configmaps" in API group "" in the namespace "shop"',
    );
    const dc = await raw(sb, 'DELETE', '/api/v1/namespaces/shop/configmaps', { token: as('ci') });
    expect(dc.body.message).toMatch(/cannot deletecollection resource "configmaps"/);
    // A refusal says nothing of whether the object exists: 403, not 404, for a name that is not there.
    expect((await raw(sb, 'GET', '/api/v1/namespaces/shop/secrets/nope', { token: as('ci') })).status).toBe(
      403,
    );
    expect((await raw(sb, 'GET', '/api/v1/namespaces/shop/pods', { token: 'not-a-token' })).status).toBe(401);
  });

  it('GIVEN a Role bound to the user THEN exactly its verbs on its resources in its namespace are allowed', async () => {
    expect(
      (
        await role('shop', 'deployer', [
          { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] },
        ])
      ).status,
    ).toBe(201);
    expect((await bind('shop', 'deployer', { kind: 'Role', name: 'deployer' }, [user('ci')])).status).toBe(
      201,
    );
    const ci = { token: as('ci') };
    expect((await raw(sb, 'GET', '/apis/apps/v1/namespaces/shop/deployments', ci)).status).toBe(200);
    expect((await raw(sb, 'GET', '/apis/apps/v1/namespaces/shop/deployments/web', ci)).status).toBe(404);
    expect((await raw(sb, 'DELETE', '/apis/apps/v1/namespaces/shop/deployments/web', ci)).status).toBe(403);
    // Not in another namespace, not the status subresource, not for another user.
    expect((await raw(sb, 'GET', '/apis/apps/v1/namespaces/ci/deployments', ci)).status).toBe(403);
    const status = await raw(sb, 'GET', '/apis/apps/v1/namespaces/shop/deployments/web/status', ci);
    expect(status.body.message).toBe(
      'deployments.apps "web" is forbidden: User "ci" cannot get resource "deployments/status" in API group "apps" in the namespace "shop"',
    );
    expect(
      (await raw(sb, 'GET', '/apis/apps/v1/namespaces/shop/deployments', { token: as('other') })).status,
    ).toBe(403);
  });

  it('GIVEN resourceNames THEN they restrict get, and list, watch and create are allowed only as the name the request itself carries', async () => {
    await role('shop', 'one-cm', [
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['app'],
        verbs: ['get', 'list', 'watch', 'create'],
      },
    ]);
    await bind('shop', 'one-cm', { kind: 'Role', name: 'one-cm' }, [user('other')]);
    const o = { token: as('other') };
    const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
    expect((await raw(sb, 'GET', '/api/v1/namespaces/shop/configmaps/app', o)).status).toBe(404);
    expect((await raw(sb, 'GET', '/api/v1/namespaces/shop/configmaps/other', o)).status).toBe(403);
    expect((await raw(sb, 'GET', '/api/v1/namespaces/shop/configmaps', o)).status).toBe(403);
    // A create's name is in its body, which the authorizer does not see.
    expect(
      (await raw(sb, 'POST', '/api/v1/namespaces/shop/configmaps', { ...o, body: cm('app') })).status,
    ).toBe(403);
    // RequestInfo takes a list's name from fieldSelector=metadata.name=...
    expect(
      (await raw(sb, 'GET', '/api/v1/namespaces/shop/configmaps?fieldSelector=metadata.name%3Dapp', o))
        .status,
    ).toBe(200);
    expect(
      (await raw(sb, 'GET', '/api/v1/namespaces/shop/configmaps?fieldSelector=metadata.name%3Dother', o))
        .status,
    ).toBe(403);
  });

  it('GIVEN subresource rules THEN services/proxy is its own resource and */status matches any status', async () => {
    await role('shop', 'sub', [
      { apiGroups: [''], resources: ['services/proxy'], resourceNames: ['prometheus:9090'], verbs: ['get'] },
      { apiGroups: ['*'], resources: ['*/status'], verbs: ['get'] },
    ]);
    await bind('shop', 'sub', { kind: 'Role', name: 'sub' }, [user('other')]);
    const o = { token: as('other') };
    // Allowed through to the proxy, which finds no such Service.
    expect(
      (await raw(sb, 'GET', '/api/v1/namespaces/shop/services/prometheus:9090/proxy/api/v1/query', o)).status,
    ).toBe(404);
    const other = await raw(sb, 'GET', '/api/v1/namespaces/shop/services/web/proxy/', o);
    expect(other.body.message).toBe(
      'services "web" is forbidden: User "other" cannot get resource "services/proxy" in API group "" in the namespace "shop"',
    );
    expect((await raw(sb, 'GET', '/apis/apps/v1/namespaces/shop/deployments/web/status', o)).status).toBe(
      404,
    );
    expect((await raw(sb, 'GET', '/apis/apps/v1/namespaces/shop/deployments/web', o)).status).toBe(403);
  });

  it("GIVEN a ServiceAccount subject THEN the token of system:serviceaccount:NS:NAME matches it, and a missing namespace means the binding's", async () => {
    await role('ci', 'cm-reader', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }]);
    await bind('ci', 'sa', { kind: 'Role', name: 'cm-reader' }, [
      { kind: 'ServiceAccount', name: 'vela-ts' },
    ]);
    expect((await raw(sb, 'GET', '/api/v1/namespaces/ci/configmaps', { token: as(SA) })).status).toBe(200);
    const denied = await raw(sb, 'GET', '/api/v1/namespaces/shop/configmaps', { token: as(SA) });
    expect(denied.body.message).toBe(
      `configmaps is forbidden: User "${SA}" cannot list resource "configmaps" in API group "" in the namespace "shop"`,
    );
  });

  it('GIVEN a binding to a role that does not exist THEN the denial names it, as the RBAC authorizer does', async () => {
    await bind('shop', 'dangling', { kind: 'Role', name: 'missing' }, [user('ci')]);
    const r = await raw(sb, 'GET', '/api/v1/namespaces/shop/secrets', { token: as('ci') });
    expect(r.body.message).toBe(
      'secrets is forbidden: User "ci" cannot list resource "secrets" in API group "" in the namespace "shop": RBAC: role.rbac.authorization.k8s.io "missing" not found',
    );
    await admin('DELETE', `${RBAC}/namespaces/shop/rolebindings/dangling`);
  });

  it('GIVEN a ClusterRoleBinding to a group THEN every member is allowed in every namespace, cluster-scoped resources too', async () => {
    await admin('POST', `${RBAC}/clusterroles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'ns-reader' },
      rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'] }],
    });
    await admin('POST', `${RBAC}/clusterrolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'ns-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ns-reader' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:serviceaccounts' }],
    });
    expect((await raw(sb, 'GET', '/api/v1/namespaces', { token: as(SA) })).status).toBe(200);
    expect((await raw(sb, 'GET', '/api/v1/namespaces/shop', { token: as(SA) })).status).toBe(200);
    expect((await raw(sb, 'GET', '/api/v1/namespaces', { token: as('ci') })).status).toBe(403);
  });

  it("GIVEN a SelfSubjectAccessReview THEN it answers for the requesting user, with RBAC's reason", async () => {
    const review = (token: string, attrs: object) =>
      raw(sb, 'POST', SSAR, {
        token,
        body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: attrs },
      });
    const yes = await review(as('ci'), {
      resourceAttributes: { namespace: 'shop', verb: 'list', group: 'apps', resource: 'deployments' },
    });
    expect(yes.status).toBe(201);
    expect(yes.body).toEqual({
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: {
        resourceAttributes: { namespace: 'shop', verb: 'list', group: 'apps', resource: 'deployments' },
      },
      status: {
        allowed: true,
        reason: 'RBAC: allowed by RoleBinding "deployer/shop" of Role "deployer" to User "ci"',
      },
    });
    const no = await review(as('ci'), {
      resourceAttributes: { namespace: 'shop', verb: 'patch', group: 'apps', resource: 'deployments' },
    });
    expect(no.body.status).toEqual({ allowed: false });
    const discovery = await review(as('ci'), { nonResourceAttributes: { path: '/apis', verb: 'get' } });
    expect(discovery.body.status.allowed).toBe(true);
    expect(
      (await review(sb.token, { resourceAttributes: { verb: 'delete', resource: 'nodes' } })).body.status,
    ).toEqual({
      allowed: true,
    });
    const bad = await review(as('ci'), {});
    expect(bad.status).toBe(422);
    expect(bad.body.message).toBe(
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
    // Create-only: a GET is a 405 for the admin, and for others first a list they are not allowed.
    expect((await raw(sb, 'GET', SSAR)).status).toBe(405);
    expect((await raw(sb, 'GET', SSAR, { token: as('ci') })).status).toBe(403);
  });

  it('GIVEN Impersonate-User THEN the admin acts as that user, and a user without the impersonate verb is refused', async () => {
    const asCi = await raw(sb, 'GET', '/apis/apps/v1/namespaces/shop/deployments', {
      headers: { 'Impersonate-User': 'ci' },
    });
    expect(asCi.status).toBe(200);
    const asOther = await raw(sb, 'GET', '/apis/apps/v1/namespaces/shop/deployments', {
      headers: { 'Impersonate-User': 'nobody' },
    });
    expect(asOther.body.message).toBe(
      'deployments.apps is forbidden: User "nobody" cannot list resource "deployments" in API group "apps" in the namespace "shop"',
    );
    const bySa = await raw(sb, 'GET', '/api/v1/namespaces/ci/configmaps', {
      headers: { 'Impersonate-User': SA },
    });
    expect(bySa.status).toBe(200);
    const refused = await raw(sb, 'GET', '/apis/apps/v1/namespaces/shop/deployments', {
      token: as('other'),
      headers: { 'Impersonate-User': 'ci' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(
      'users "ci" is forbidden: User "other" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    const group = await raw(sb, 'GET', '/api/v1/namespaces/shop/pods', {
      headers: { 'Impersonate-User': 'ci', 'Impersonate-Group': 'system:masters' },
    });
    expect(group.status).toBe(200);
  });

  it('GIVEN a SelfSubjectRulesReview THEN it lists the rules that apply in the namespace', async () => {
    const r = await raw(sb, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
      token: as('ci'),
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectRulesReview',
        spec: { namespace: 'shop' },
      },
    });
    expect(r.status).toBe(201);
    expect(r.body.status.resourceRules).toContainEqual({
      verbs: ['get', 'list'],
      apiGroups: ['apps'],
      resources: ['deployments'],
    });
    expect(r.body.status.resourceRules).toContainEqual({
      verbs: ['create'],
      apiGroups: ['authorization.k8s.io'],
      resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
    });
    expect(r.body.status.nonResourceRules).toContainEqual(
      expect.objectContaining({
        verbs: ['get'],
        nonResourceURLs: expect.arrayContaining(['/api', '/apis/*']),
      }),
    );
    expect(r.body.status.incomplete).toBe(false);
  });

  it('GIVEN RBAC objects THEN they are validated against the upstream schema and names as ValidateRBACName', async () => {
    const noVerbs = await role('shop', 'bad', [{ apiGroups: [''], resources: ['pods'] }]);
    expect(noVerbs.status).toBe(422);
    expect(noVerbs.body.message).toContain('rules[0].verbs');
    const colon = await role('shop', 'team:reader', [
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
    ]);
    expect(colon.status).toBe(201);
    const slash = await admin('POST', `${RBAC}/clusterroles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'a%b' },
    });
    expect(slash.status).toBe(422);
    expect(slash.body.message).toBe(
      `ClusterRole.rbac.authorization.k8s.io "a%b" is invalid: metadata.name: Invalid value: "a%b": may not contain '%'`,
    );
  });
});

describe('sandbox users', () => {
  it("GIVEN users THEN the kubeconfig has a context per user beside the admin's current one, and the tokens survive a restart of the saved state", async () => {
    const dir = tmpDir();
    const statePath = path.join(dir, 'state.json');
    const first = await startSandbox({ port: 0, tls: sharedTls(), statePath, users: ['ci'] });
    const kc = yaml.load(first.kubeconfig) as any;
    await first.close();
    expect(kc['current-context']).toBe('vela-ts-sandbox');
    expect(kc.contexts.map((c: any) => c.name)).toEqual(['vela-ts-sandbox', 'ci@vela-ts-sandbox']);
    const ciUser = kc.users.find((u: any) => u.name === 'ci@vela-ts-sandbox');
    expect(ciUser.user.token).toBe(first.users.ci!.token);
    expect(first.users.ci!.token).not.toBe(first.token);

    const second = await startSandbox({ port: 0, tls: sharedTls(), statePath, users: ['ci'] });
    try {
      expect(second.users.ci!.token).toBe(first.users.ci!.token);
      const r = await raw(second, 'GET', '/api/v1/namespaces/default/pods', { token: first.users.ci!.token });
      expect(r.status).toBe(403);
      expect(r.body.message).toContain('User "ci"');
      // The bootstrap policy is not written again when it is there.
      const crs = await raw(second, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles');
      expect(crs.body.items.filter((x: any) => x.metadata.name === 'cluster-admin')).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it.each([
    ['', /non-empty/],
    ['kubernetes-admin', /admin/],
    ['system:anonymous', /system: namespace/],
    ['a b', /whitespace/],
  ])('GIVEN the user name %j THEN the sandbox does not start', async (name, msg) => {
    await expect(startSandbox({ port: 0, tls: sharedTls(), users: [name] })).rejects.toThrow(
      SandboxUserError,
    );
    await expect(startSandbox({ port: 0, tls: sharedTls(), users: [name] })).rejects.toThrow(msg);
  });

  it('GIVEN the same user twice THEN the sandbox does not start', async () => {
    await expect(startSandbox({ port: 0, tls: sharedTls(), users: ['ci', 'ci'] })).rejects.toThrow(
      /given twice/,
    );
  });
});
