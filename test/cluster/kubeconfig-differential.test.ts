// vela-ts reads kubeconfigs itself (kubeconfig.ts) rather than through @kubernetes/client-node,
// whose import costs ~400 ms at start-up. This file holds the two side by side: for every
// kubeconfig of the corpus, the server, namespace, headers, basic auth and TLS options vela-ts
// produces must be the ones client-node's KubeConfig produces (loadFromFile / loadFromDefault /
// loadFromCluster, then applyToHTTPSOptions). Where they may not agree by design, the merge of a
// KUBECONFIG list, the reference is client-node applied file by file with kubectl's merge
// (the first file to name a cluster, user or context wins), as vela-ts did before it had its own
// loader.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { httpsOptionsFor, loadKubeconfig, needsClientNode } from '../../src/cluster/kubeconfig.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-kc-diff-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const pem = (what: string) =>
  `-----BEGIN ${what}-----\n${b64(`${what} of ${Math.random()}`)}\n-----END ${what}-----\n`;

interface Kc {
  clusters?: { name: string; cluster: Record<string, unknown> }[];
  users?: { name: string; user?: Record<string, unknown> }[];
  contexts?: { name: string; context: Record<string, unknown> }[];
  'current-context'?: string;
}
const kubeconfig = (kc: Kc) => JSON.stringify({ apiVersion: 'v1', kind: 'Config', ...kc });

/** One cluster, one user, one context `ctx` (namespace `shop`), current. */
function single(cluster: Record<string, unknown>, user: Record<string, unknown> | undefined): string {
  return kubeconfig({
    clusters: [{ name: 'c', cluster: { server: 'https://10.0.0.1:6443', ...cluster } }],
    users: user ? [{ name: 'u', user }] : [],
    contexts: [{ name: 'ctx', context: { cluster: 'c', ...(user ? { user: 'u' } : {}), namespace: 'shop' } }],
    'current-context': 'ctx',
  });
}

/** What a connection is made of, comparable across the two loaders. */
interface Outcome {
  server?: string;
  namespace?: string;
  context?: string;
  headers?: Record<string, string>;
  auth?: string;
  agent?: string;
  tls?: Record<string, string | boolean>;
  error?: true;
}

const tlsKeys = ['ca', 'cert', 'key', 'rejectUnauthorized', 'servername'] as const;

function describeOptions(o: https.RequestOptions): Omit<Outcome, 'server' | 'namespace' | 'context'> {
  const agent = o.agent as (http.Agent & { options?: Record<string, unknown> }) | undefined;
  const tls: Record<string, string | boolean> = {};
  // The options on the request and those the agent was made with must both agree.
  for (const [where, from] of [
    ['request', o as Record<string, unknown>],
    ['agent', agent?.options ?? {}],
  ] as const) {
    for (const key of tlsKeys) {
      const v = from[key];
      if (v === undefined || v === null) continue;
      tls[`${where}.${key}`] = typeof v === 'boolean' ? v : (v as string | Buffer).toString();
    }
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.headers ?? {})) headers[k] = String(v);
  return {
    ...(o.headers ? { headers } : {}),
    ...(o.auth != null ? { auth: o.auth } : {}),
    agent: agent?.constructor.name,
    tls,
  };
}

async function viaVelaTs(opts: Parameters<typeof loadKubeconfig>[0]): Promise<Outcome> {
  try {
    const loaded = loadKubeconfig(opts);
    const o = await httpsOptionsFor(loaded);
    return {
      server: loaded.cluster.server,
      namespace: loaded.defaultNamespace,
      context: loaded.contextName,
      ...describeOptions(o),
    };
  } catch {
    return { error: true };
  }
}

async function viaClientNode(load: (kc: k8s.KubeConfig) => void, context?: string): Promise<Outcome> {
  try {
    const kc = new k8s.KubeConfig();
    load(kc);
    if (context) kc.setCurrentContext(context);
    // vela-ts refuses these before any request, naming what is missing (kubeconfig.test.ts).
    const ctx = kc.getContextObject(kc.getCurrentContext());
    if (!ctx || !kc.getCluster(ctx.cluster) || (ctx.user && !kc.getUser(ctx.user))) return { error: true };
    const o: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(o);
    return {
      server: kc.getCurrentCluster()?.server,
      namespace: kc.getContextObject(kc.getCurrentContext())?.namespace || 'default',
      context: kc.getCurrentContext(),
      ...describeOptions(o),
    };
  } catch {
    return { error: true };
  }
}

/** client-node over a KUBECONFIG list, file by file, merged as kubectl merges. */
function kubectlMerge(files: string[]) {
  return (kc: k8s.KubeConfig) => {
    const clusters: k8s.Cluster[] = [];
    const users: k8s.User[] = [];
    const contexts: k8s.Context[] = [];
    let currentContext: string | undefined;
    const add = <T extends { name: string }>(into: T[], items: T[]) => {
      for (const item of items) if (!into.some((x) => x.name === item.name)) into.push(item);
    };
    for (const file of files.filter((f) => fs.existsSync(f))) {
      const one = new k8s.KubeConfig();
      one.loadFromFile(file);
      currentContext ??= one.getCurrentContext() || undefined;
      add(clusters, one.getClusters());
      add(users, one.getUsers());
      add(contexts, one.getContexts());
    }
    kc.loadFromOptions({ clusters, users, contexts, currentContext });
  };
}

/** client-node's own loadFromDefault, with KUBECONFIG (and the rest of the environment) as given. */
function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  return fn().finally(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });
}

/** GIVEN a single kubeconfig file THEN vela-ts and client-node (loadFromDefault) agree. */
async function expectSameForFile(file: string, context?: string): Promise<Outcome> {
  const ours = await viaVelaTs({ cwd: dir, env: { HOME: dir, KUBECONFIG: file }, context });
  const theirs = await withEnv({ KUBECONFIG: file, HOME: dir }, () =>
    viaClientNode((kc) => kc.loadFromDefault(), context),
  );
  expect(ours).toEqual(theirs);
  return ours;
}

describe('static credentials: vela-ts reads them as client-node does', () => {
  const caData = b64(pem('CERTIFICATE'));
  const certData = b64(pem('CERTIFICATE'));
  const keyData = b64(pem('EC PRIVATE KEY'));

  it.each<[string, Record<string, unknown>, Record<string, unknown> | undefined]>([
    ['a token and a CA as data', { 'certificate-authority-data': caData }, { token: 'tok-1111111111' }],
    [
      'a client certificate and key as data',
      { 'certificate-authority-data': caData },
      { 'client-certificate-data': certData, 'client-key-data': keyData },
    ],
    ['username and password', {}, { username: 'admin', password: 'pw-2222222222' }],
    ['a username without a password', {}, { username: 'admin' }],
    ['a token together with basic auth', {}, { token: 'tok-3333333333', username: 'a', password: 'b' }],
    ['impersonation', {}, { token: 'tok-4444444444', as: 'jane' }],
    // client-node 1.4 knows only `as`: groups and uid are not sent by either.
    ['impersonation with groups and uid', {}, { as: 'jane', 'as-groups': ['dev'], 'as-uid': '42' }],
    ['insecure-skip-tls-verify', { 'insecure-skip-tls-verify': true }, { token: 'tok-5555555555' }],
    // Only the boolean true counts, in both.
    ['insecure-skip-tls-verify as a string', { 'insecure-skip-tls-verify': 'true' }, {}],
    ['tls-server-name', { 'tls-server-name': 'api.internal', 'certificate-authority-data': caData }, {}],
    ['a trailing slash on the server', { server: 'https://10.0.0.1:6443/' }, { token: 'tok-6666666666' }],
    ['a path on the server', { server: 'https://10.0.0.1:6443/k8s/clusters/c-1' }, {}],
    [
      'plain http with insecure-skip-tls-verify',
      { server: 'http://10.0.0.1:8080', 'insecure-skip-tls-verify': true },
      {},
    ],
    ['plain http without it (refused)', { server: 'http://10.0.0.1:8080' }, { token: 'tok-7777777777' }],
    ['a user with no fields', {}, {}],
    // client-node applies neither the CA nor the insecure flag when the context names no user.
    [
      'a context without a user',
      { 'certificate-authority-data': caData, 'insecure-skip-tls-verify': true },
      undefined,
    ],
    [
      'an unknown auth provider with a token file, as in-cluster',
      {},
      { 'auth-provider': { name: 'tokenFile' } },
    ],
  ])('GIVEN %s THEN the same server, namespace, headers and TLS options', async (_name, cluster, user) => {
    await expectSameForFile(write('config', single(cluster, user)));
  });

  it('GIVEN CA, certificate and key files named relative to the kubeconfig THEN read from its folder', async () => {
    write('kube/pki/ca.crt', pem('CERTIFICATE'));
    write('kube/pki/me.crt', pem('CERTIFICATE'));
    write('kube/pki/me.key', pem('EC PRIVATE KEY'));
    const abs = write('abs.key', pem('EC PRIVATE KEY'));
    const file = write(
      'kube/config',
      single(
        { 'certificate-authority': 'pki/ca.crt' },
        { 'client-certificate': './pki/me.crt', 'client-key': 'pki/me.key' },
      ),
    );
    const got = await expectSameForFile(file);
    expect(got.tls?.['agent.ca']).toBe(fs.readFileSync(path.join(dir, 'kube/pki/ca.crt'), 'utf8'));
    const other = write('kube/other', single({}, { 'client-certificate': 'pki/me.crt', 'client-key': abs }));
    expect((await expectSameForFile(other)).tls?.['agent.key']).toBe(fs.readFileSync(abs, 'utf8'));
  });

  it('GIVEN a file named in the kubeconfig that does not exist THEN both fail', async () => {
    const got = await expectSameForFile(write('config', single({ 'certificate-authority': 'nope.crt' }, {})));
    expect(got).toEqual({ error: true });
  });

  it('GIVEN a token file THEN its content is the bearer token, as read by client-node', async () => {
    const tokenFile = write('token', 'tok-from-file-8888');
    const got = await expectSameForFile(write('config', single({}, { 'token-file': tokenFile })));
    expect(got.headers?.Authorization).toBe('Bearer tok-from-file-8888');
    // An inline token wins over the file.
    await expectSameForFile(write('config', single({}, { 'token-file': tokenFile, token: 'tok-inline-99' })));
  });

  it("GIVEN a relative token file THEN it is read from the working folder, as client-node reads it (not from the kubeconfig's)", async () => {
    write('work/token', 'tok-relative-2121');
    write('kube/token', 'tok-wrong-folder-22');
    const file = write('kube/config', single({}, { 'token-file': 'token' }));
    const saved = process.cwd();
    process.chdir(path.join(dir, 'work'));
    try {
      const ours = await viaVelaTs({ cwd: path.join(dir, 'work'), env: { HOME: dir }, kubeconfig: file });
      const theirs = await viaClientNode((kc) => kc.loadFromFile(file));
      expect(ours).toEqual(theirs);
      expect(ours.headers?.Authorization).toBe('Bearer tok-relative-2121');
    } finally {
      process.chdir(saved);
    }
  });

  it('GIVEN an auth provider with a token file THEN it is read as client-node FileAuth reads it, an inline token winning', async () => {
    const tokenFile = write('token', 'tok-provider-1010');
    const provider = { 'auth-provider': { name: 'tokenFile', config: { tokenFile } } };
    const got = await expectSameForFile(write('config', single({}, provider)));
    expect(got.headers?.Authorization).toBe('Bearer tok-provider-1010');
    await expectSameForFile(write('config', single({}, { ...provider, token: 'tok-inline-1111' })));
  });

  it.each([
    ['a cluster without a server', kubeconfig({ clusters: [{ name: 'c', cluster: {} }] })],
    ['a user without a name', kubeconfig({ users: [{ user: { token: 'x' } } as never] })],
    ['a context without a cluster', kubeconfig({ contexts: [{ name: 'x', context: { user: 'u' } }] })],
    ['no current context', kubeconfig({ clusters: [{ name: 'c', cluster: { server: 'https://a' } }] })],
    ['a current context that names no cluster', single({}, {}).replace('"cluster":"c"', '"cluster":"zz"')],
    ['a current context that names no user', single({}, {}).replace('"user":"u"', '"user":"zz"')],
    ['a document that is not YAML', 'clusters: [\n'],
  ])('GIVEN %s THEN both refuse it', async (_name, text) => {
    expect(await expectSameForFile(write('config', text))).toEqual({ error: true });
  });
});

describe('contexts and merged KUBECONFIG lists', () => {
  function files() {
    write('one/pki/ca.crt', pem('CERTIFICATE'));
    write('two/pki/ca.crt', pem('CERTIFICATE'));
    write('two/pki/me.crt', pem('CERTIFICATE'));
    write('two/pki/me.key', pem('EC PRIVATE KEY'));
    const one = write(
      'one/config',
      kubeconfig({
        clusters: [
          {
            name: 'shared',
            cluster: { server: 'https://first:6443', 'certificate-authority': 'pki/ca.crt' },
          },
        ],
        users: [{ name: 'me', user: { token: 'tok-first-1212' } }],
        contexts: [
          { name: 'a', context: { cluster: 'shared', user: 'me', namespace: 'ns-a' } },
          { name: 'b', context: { cluster: 'shared', user: 'me' } },
        ],
        'current-context': 'a',
      }),
    );
    const two = write(
      'two/config',
      kubeconfig({
        clusters: [
          { name: 'shared', cluster: { server: 'https://second:6443' } },
          { name: 'other', cluster: { server: 'https://other:6443', 'certificate-authority': 'pki/ca.crt' } },
        ],
        users: [
          { name: 'me', user: { token: 'tok-second-1313' } },
          { name: 'cert', user: { 'client-certificate': 'pki/me.crt', 'client-key': 'pki/me.key' } },
        ],
        contexts: [
          { name: 'a', context: { cluster: 'other', user: 'cert' } },
          { name: 'c', context: { cluster: 'other', user: 'cert', namespace: 'ns-c' } },
          { name: 'd', context: { cluster: 'shared', user: 'me', namespace: 'ns-d' } },
        ],
        'current-context': 'c',
      }),
    );
    const empty = write('empty', '');
    return { one, two, empty };
  }

  it.each([undefined, 'a', 'b', 'c', 'd', 'missing'])(
    'GIVEN KUBECONFIG=one:missing:empty:two and --context %s THEN the same as client-node file by file, merged as kubectl merges',
    async (context) => {
      const { one, two, empty } = files();
      const list = [one, path.join(dir, 'missing'), empty, two];
      const ours = await viaVelaTs({
        cwd: dir,
        env: { HOME: dir, KUBECONFIG: list.join(path.delimiter) },
        context,
      });
      const theirs = await viaClientNode(kubectlMerge([one, two]), context);
      expect(ours).toEqual(theirs);
    },
  );

  it('GIVEN the merged list THEN the first file wins each name and the first current-context counts', async () => {
    const { one, two } = files();
    const env = { HOME: dir, KUBECONFIG: [one, two].join(path.delimiter) };
    const current = await viaVelaTs({ cwd: dir, env });
    expect(current).toMatchObject({ context: 'a', server: 'https://first:6443', namespace: 'ns-a' });
    expect(current.headers).toEqual({ Authorization: 'Bearer tok-first-1212' });
    expect(current.tls?.['agent.ca']).toBe(fs.readFileSync(path.join(dir, 'one/pki/ca.crt'), 'utf8'));
    // d is only in the second file, but its cluster and user are the first file's.
    expect(await viaVelaTs({ cwd: dir, env, context: 'd' })).toMatchObject({
      server: 'https://first:6443',
      namespace: 'ns-d',
      headers: { Authorization: 'Bearer tok-first-1212' },
    });
    // c's relative paths are relative to the second file's folder.
    const c = await viaVelaTs({ cwd: dir, env, context: 'c' });
    expect(c.tls?.['agent.cert']).toBe(fs.readFileSync(path.join(dir, 'two/pki/me.crt'), 'utf8'));
  });

  it('GIVEN relative KUBECONFIG entries THEN they are relative to the working folder', async () => {
    const { one, two } = files();
    const ours = await viaVelaTs({
      cwd: dir,
      env: { HOME: dir, KUBECONFIG: ['one/config', 'two/config'].join(path.delimiter) },
      context: 'c',
    });
    expect(ours).toEqual(await viaClientNode(kubectlMerge([one, two]), 'c'));
  });

  it('GIVEN a list without duplicate names THEN the same as client-node loadFromDefault itself', async () => {
    const { two } = files();
    write('three/pki/ca.crt', pem('CERTIFICATE'));
    const three = write(
      'three/config',
      kubeconfig({
        clusters: [
          { name: 'third', cluster: { server: 'https://third:6443', 'certificate-authority': 'pki/ca.crt' } },
        ],
        users: [{ name: 'pw', user: { username: 'u', password: 'pw-1414141414', as: 'ops' } }],
        contexts: [{ name: 't', context: { cluster: 'third', user: 'pw', namespace: 'ns-t' } }],
      }),
    );
    const list = [two, three].join(path.delimiter);
    for (const context of [undefined, 'c', 't']) {
      const ours = await viaVelaTs({ cwd: dir, env: { HOME: dir, KUBECONFIG: list }, context });
      const theirs = await withEnv({ KUBECONFIG: list, HOME: dir }, () =>
        viaClientNode((kc) => kc.loadFromDefault(), context),
      );
      expect(ours).toEqual(theirs);
    }
  });

  it('GIVEN no KUBECONFIG THEN ~/.kube/config, as client-node reads it', async () => {
    write('.kube/pki/ca.crt', pem('CERTIFICATE'));
    write('.kube/config', single({ 'certificate-authority': 'pki/ca.crt' }, { token: 'tok-home-1515' }));
    const ours = await viaVelaTs({ cwd: os.tmpdir(), env: { HOME: dir } });
    const theirs = await withEnv({ KUBECONFIG: undefined, HOME: dir }, () =>
      viaClientNode((kc) => kc.loadFromDefault()),
    );
    expect(ours).toEqual(theirs);
    expect(ours.tls?.['agent.ca']).toBeDefined();
  });
});

describe('in-cluster: the service account', () => {
  /** A service-account folder laid out where client-node's loadFromCluster(prefix) looks. */
  function serviceAccount(namespace: string | undefined): { prefix: string; saDir: string } {
    const prefix = path.join(dir, 'root');
    const saDir = path.join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount');
    fs.mkdirSync(saDir, { recursive: true });
    fs.writeFileSync(path.join(saDir, 'token'), 'sa-token-16161616');
    fs.writeFileSync(path.join(saDir, 'ca.crt'), pem('CERTIFICATE'));
    if (namespace !== undefined) fs.writeFileSync(path.join(saDir, 'namespace'), namespace);
    return { prefix, saDir };
  }

  it.each<[string, Record<string, string>, string | undefined]>([
    ['an IPv4 host', { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, 'team-a'],
    ['an IPv6 host', { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, 'team-a'],
    [
      'no namespace file',
      { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '6443' },
      undefined,
    ],
    [
      'port 8080, which client-node takes for plain http',
      { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '8080' },
      'x',
    ],
  ])(
    'GIVEN KUBERNETES_SERVICE_HOST with %s and no kubeconfig THEN the same as loadFromCluster',
    async (_name, env, ns) => {
      const { prefix, saDir } = serviceAccount(ns);
      const ours = await viaVelaTs({ cwd: dir, env: { HOME: dir, ...env }, serviceAccountDir: saDir });
      const theirs = await withEnv(env, () => viaClientNode((kc) => kc.loadFromCluster(prefix)));
      expect(ours).toEqual(theirs);
    },
  );

  it('GIVEN the service account THEN its token is the bearer token, read afresh each time (it rotates)', async () => {
    const { saDir } = serviceAccount('team-a');
    const env = { HOME: dir, KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    const loaded = loadKubeconfig({ cwd: dir, env, serviceAccountDir: saDir });
    expect(loaded.defaultNamespace).toBe('team-a');
    expect(needsClientNode(loaded)).toBe(false);
    expect((await httpsOptionsFor(loaded)).headers).toEqual({ Authorization: 'Bearer sa-token-16161616' });
    fs.writeFileSync(path.join(saDir, 'token'), 'sa-token-rotated-17');
    expect((await httpsOptionsFor(loaded)).headers).toEqual({ Authorization: 'Bearer sa-token-rotated-17' });
  });
});

describe('exec plugins, auth providers and proxies: handed to client-node', () => {
  function execUser(status: Record<string, unknown>) {
    const credential = write(
      'credential.json',
      JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status }),
    );
    const script = write('plugin.sh', `cat '${credential}'\n`);
    return { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: [script] } };
  }
  // An id-token that expires in 2286: client-node uses it as it is, with no call to the issuer.
  const idToken = [{ alg: 'none' }, { exp: 9999999999, sub: 'me' }, 'sig']
    .map((p) => (typeof p === 'string' ? p : Buffer.from(JSON.stringify(p)).toString('base64url')))
    .join('.');

  // The plugin script is written inside each test, in its own temporary folder.
  it.each<[string, Record<string, unknown>, () => Record<string, unknown>]>([
    ['an exec plugin handing out a token', {}, () => execUser({ token: 'exec-tok-1818' })],
    [
      'an exec plugin handing out a client certificate',
      {},
      () => execUser({ clientCertificateData: pem('CERTIFICATE'), clientKeyData: pem('EC PRIVATE KEY') }),
    ],
    [
      'an oidc auth provider',
      {},
      () => ({ 'auth-provider': { name: 'oidc', config: { 'id-token': idToken, 'client-id': 'k' } } }),
    ],
    ['a proxy-url', { 'proxy-url': 'http://proxy.internal:3128' }, () => ({ token: 'tok-proxied-1919' })],
    [
      'a socks proxy-url',
      { 'proxy-url': 'socks5://proxy.internal:1080' },
      () => ({ token: 'tok-socks-2020' }),
    ],
  ])(
    'GIVEN %s THEN client-node produces the options, exactly as it does alone',
    async (_name, cluster, user) => {
      const file = write('config', single(cluster, user()));
      const loaded = loadKubeconfig({ cwd: dir, env: { HOME: dir }, kubeconfig: file });
      expect(needsClientNode(loaded)).toBe(true);
      const got = await expectSameForFile(file);
      expect(got.error).toBeUndefined();
    },
  );

  it('GIVEN static credentials only THEN client-node is not needed', () => {
    const file = write(
      'config',
      single({ 'certificate-authority-data': b64('ca') }, { token: 't', as: 'x' }),
    );
    expect(needsClientNode(loadKubeconfig({ cwd: dir, env: { HOME: dir }, kubeconfig: file }))).toBe(false);
  });
});
