/**
 * kubectl 1.32 as a limited user of the sandbox: `auth can-i` (a SelfSubjectAccessReview),
 * `auth can-i --list` (a SelfSubjectRulesReview), `--as` (impersonation), and a refused `get`
 * printed as kubectl prints a real server's 403.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { repoRoot } from '../helpers/cli.js';
import { sharedTls } from '../helpers/tls.js';
import { kubectlIn, tmpDir } from './helpers.js';

const SA = 'system:serviceaccount:ci:vela-ts';

describe('kubectl auth against the sandbox', () => {
  let dir: string;
  let sb: Sandbox;
  let kubeconfig: string;
  const run = kubectlIn(() => ({ dir, kubeconfig }));
  const kubectl = (args: string[], context?: string) =>
    run([...(context ? ['--context', context] : []), ...args]);
  const asSa = (args: string[]) => kubectl(args, sb.users[SA]!.context);
  const asCi = (args: string[]) => kubectl(args, sb.users.ci!.context);

  beforeAll(async () => {
    dir = tmpDir('vela-kubectl-rbac-');
    kubeconfig = path.join(dir, 'kubeconfig');
    sb = await startSandbox({ port: 0, tls: sharedTls(), kubeconfigPath: kubeconfig, users: [SA, 'ci'] });
    // The shipped Role, bound to its own subject (the ServiceAccount vela-ts of ci), applied by the admin.
    const role = readFileSync(path.join(repoRoot, 'examples/rbac/role.yaml'), 'utf8');
    const file = path.join(dir, 'role.yaml');
    writeFileSync(file, role);
    for (const ns of ['shop', 'ci', 'istio-system']) {
      writeFileSync(
        path.join(dir, `${ns}.yaml`),
        `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`,
      );
      const r = await kubectl(['apply', '-f', path.join(dir, `${ns}.yaml`)]);
      expect(r.stderr).toBe('');
    }
    const applied = await kubectl(['apply', '-f', file]);
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim().split('\n')).toEqual([
      'role.rbac.authorization.k8s.io/vela-ts created',
      'rolebinding.rbac.authorization.k8s.io/vela-ts created',
      'role.rbac.authorization.k8s.io/vela-ts-metrics created',
      'rolebinding.rbac.authorization.k8s.io/vela-ts-metrics created',
      'clusterrole.rbac.authorization.k8s.io/vela-ts-namespace-reader created',
      'clusterrolebinding.rbac.authorization.k8s.io/vela-ts-namespace-reader created',
    ]);
  });
  afterAll(() => sb.close());

  it('GIVEN the shipped Role bound to the service account THEN auth can-i answers yes for what it grants and no for the rest', async () => {
    const cases: Array<[string[], string]> = [
      [['patch', 'deployments', '-n', 'shop'], 'yes'],
      [['create', 'leases.coordination.k8s.io', '-n', 'shop'], 'yes'],
      [['watch', 'virtualservices', '-n', 'shop'], 'yes'],
      [['delete', 'controllerrevisions', '-n', 'shop'], 'yes'],
      [['get', 'secrets', '-n', 'shop'], 'no'],
      [['list', 'pods', '-n', 'shop'], 'no'],
      [['patch', 'deployments', '-n', 'default'], 'no'],
      [['get', 'services/prometheus:9090', '--subresource', 'proxy', '-n', 'istio-system'], 'yes'],
      [['get', 'namespace/shop'], 'yes'],
      [['get', 'namespace/default'], 'no'],
      [['list', 'namespaces'], 'no'],
    ];
    const answers: Array<[string[], string, number]> = [];
    for (const [args] of cases) {
      const r = await asSa(['auth', 'can-i', ...args]);
      answers.push([args, r.stdout.trim(), r.code]);
    }
    expect(answers).toEqual(cases.map(([args, a]) => [args, a, a === 'yes' ? 0 : 1]));
  });

  it('GIVEN the admin THEN --as asks for another user (impersonation), and a user may not impersonate', async () => {
    const as = await kubectl(['auth', 'can-i', 'patch', 'deployments', '-n', 'shop', '--as', SA]);
    expect([as.stdout.trim(), as.code]).toEqual(['yes', 0]);
    const asCiUser = await kubectl(['auth', 'can-i', 'patch', 'deployments', '-n', 'shop', '--as', 'ci']);
    expect([asCiUser.stdout.trim(), asCiUser.code]).toEqual(['no', 1]);
    const admin = await kubectl(['auth', 'can-i', '*', '*']);
    expect([admin.stdout.trim(), admin.code]).toEqual(['yes', 0]);
    // Every request is refused, discovery first, so kubectl says little more than that (the message is in rbac.test.ts).
    const refused = await asCi(['get', 'deploy', '-n', 'shop', '--as', SA]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Error from server (Forbidden)');
  });

  it("GIVEN a user with no binding THEN kubectl get prints the server's Forbidden line and exits 1", async () => {
    const r = await asCi(['get', 'deploy', '-n', 'shop']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(
      'Error from server (Forbidden): deployments.apps is forbidden: User "ci" cannot list resource "deployments" in API group "apps" in the namespace "shop"',
    );
    const one = await asCi(['get', 'deploy', 'web', '-n', 'shop']);
    expect(one.stderr.trim()).toBe(
      'Error from server (Forbidden): deployments.apps "web" is forbidden: User "ci" cannot get resource "deployments" in API group "apps" in the namespace "shop"',
    );
    // The service account may list them: none yet.
    const sa = await asSa(['get', 'deploy', '-n', 'shop']);
    expect([sa.code, sa.stderr.trim()]).toEqual([0, 'No resources found in shop namespace.']);
  });

  it('GIVEN the RBAC kinds THEN kubectl get and explain know them as on a real cluster', async () => {
    const roles = await kubectl(['get', 'clusterroles', '-o', 'name']);
    expect(roles.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        'clusterrole.rbac.authorization.k8s.io/cluster-admin',
        'clusterrole.rbac.authorization.k8s.io/system:discovery',
      ]),
    );
    const explain = await kubectl(['explain', 'role.rules.resourceNames']);
    expect(explain.code).toBe(0);
    expect(explain.stdout).toContain('FIELD: resourceNames <[]string>');
  });

  it('GIVEN auth can-i --list THEN the rules of the namespace are listed from a SelfSubjectRulesReview', async () => {
    const r = await asSa(['auth', 'can-i', '--list', '-n', 'shop']);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').map((l) => l.trim().split(/\s{2,}/));
    expect(rows[0]).toEqual(['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs']);
    expect(rows).toContainEqual([
      'deployments.apps',
      '[]',
      '[]',
      '[get list watch create update patch delete]',
    ]);
    expect(rows).toContainEqual([
      'leases.coordination.k8s.io',
      '[]',
      '[]',
      '[get list watch create update patch delete]',
    ]);
    expect(rows).toContainEqual(['namespaces', '[]', '[shop]', '[get]']);
    expect(r.stdout).not.toContain('secrets');
  });
});
