import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connect } from '../../src/cluster/connect.js';
import { kubeconfigFiles, loadKubeconfig } from '../../src/cluster/kubeconfig.js';
import { ClusterError } from '../../src/errors.js';
import { redact } from '../../src/redact.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-kc-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function kubeconfig(opts: {
  contexts: { name: string; cluster: string; user: string; namespace?: string }[];
  clusters: { name: string; server: string }[];
  users: { name: string; user: Record<string, unknown> }[];
  current?: string;
}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': opts.current,
    clusters: opts.clusters.map((c) => ({ name: c.name, cluster: { server: c.server } })),
    contexts: opts.contexts.map((c) => ({
      name: c.name,
      context: { cluster: c.cluster, user: c.user, namespace: c.namespace },
    })),
    users: opts.users,
  });
}

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const base = {
  clusters: [{ name: 'c1', server: 'https://10.1.1.1:6443' }],
  users: [{ name: 'u1', user: { token: 'tok-aaaaaaaaaaaaaaaa' } }],
  contexts: [
    { name: 'dev', cluster: 'c1', user: 'u1', namespace: 'shop' },
    { name: 'prod', cluster: 'c1', user: 'u1' },
  ],
  current: 'dev',
};

function load(opts: { kubeconfig?: string; context?: string; env?: NodeJS.ProcessEnv }) {
  return loadKubeconfig({
    cwd: dir,
    env: opts.env ?? { HOME: dir },
    kubeconfig: opts.kubeconfig,
    context: opts.context,
  });
}

function loadError(opts: Parameters<typeof load>[0]): ClusterError {
  try {
    load(opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ClusterError);
    return err as ClusterError;
  }
  throw new Error('expected an error');
}

describe('kubeconfig loading, as kubectl does it', () => {
  it('--kubeconfig wins and is read relative to the working folder; the namespace comes from the context', () => {
    write('kc', kubeconfig(base));
    const loaded = load({ kubeconfig: 'kc', env: { HOME: dir, KUBECONFIG: '/nonexistent' } });
    expect(loaded.contextName).toBe('dev');
    expect(loaded.defaultNamespace).toBe('shop');
    expect(loaded.cluster.server).toBe('https://10.1.1.1:6443');
  });

  it('--context picks a context; one without a namespace means "default"', () => {
    write('kc', kubeconfig(base));
    const loaded = load({ kubeconfig: 'kc', context: 'prod' });
    expect(loaded.contextName).toBe('prod');
    expect(loaded.defaultNamespace).toBe('default');
  });

  it('an unknown --context lists the ones available', () => {
    write('kc', kubeconfig(base));
    expect(loadError({ kubeconfig: 'kc', context: 'staging' }).message).toBe(
      'context "staging" is not in kc; available contexts: dev, prod',
    );
  });

  it('a missing --kubeconfig is said plainly', () => {
    expect(loadError({ kubeconfig: 'nope.yaml' }).message).toBe('kubeconfig "nope.yaml" does not exist');
  });

  it('no kubeconfig at all suggests --kubeconfig or --sandbox', () => {
    expect(loadError({ env: { HOME: dir } }).message).toBe(
      'no kubeconfig found: ~/.kube/config does not exist and KUBECONFIG is not set; pass --kubeconfig FILE, or --sandbox to use the embedded sandbox',
    );
  });

  it('reads ~/.kube/config by default', () => {
    fs.mkdirSync(path.join(dir, '.kube'));
    write('.kube/config', kubeconfig(base));
    expect(load({}).contextName).toBe('dev');
  });

  it('KUBECONFIG is a list merged in order: the first file to set a value wins, missing files are skipped', () => {
    const a = write(
      'a',
      kubeconfig({
        clusters: [{ name: 'shared', server: 'https://first:6443' }],
        users: [{ name: 'u', user: { token: 'tok-bbbbbbbbbbbbbb' } }],
        contexts: [{ name: 'one', cluster: 'shared', user: 'u' }],
        current: 'one',
      }),
    );
    const b = write(
      'b',
      kubeconfig({
        clusters: [
          { name: 'shared', server: 'https://second:6443' },
          { name: 'other', server: 'https://other:6443' },
        ],
        users: [{ name: 'u', user: { token: 'tok-cccccccccccccc' } }],
        contexts: [{ name: 'two', cluster: 'other', user: 'u', namespace: 'ns2' }],
        current: 'two',
      }),
    );
    const env = { HOME: dir, KUBECONFIG: [a, path.join(dir, 'missing'), b].join(path.delimiter) };
    const first = load({ env });
    expect(first.contextName).toBe('one');
    expect(first.cluster.server).toBe('https://first:6443');
    const second = load({ env, context: 'two' });
    expect(second.cluster.server).toBe('https://other:6443');
    expect(second.defaultNamespace).toBe('ns2');
  });

  it('a YAML error names the line, never quoting the file (which may hold a token)', () => {
    write('kc', 'users:\n- name: u\n  user:\n    token: "tok-dddddddddddddddd\n  bad: [\n');
    const err = loadError({ kubeconfig: 'kc' });
    expect(err.message).toMatch(/^kubeconfig .*kc is not valid: YAML syntax error at line \d+/);
    expect(err.message).not.toContain('tok-dddd');
  });

  it('every credential it loads is registered for redaction', () => {
    const key = Buffer.from(
      '-----BEGIN EC PRIVATE KEY-----\nsecretkeymaterial\n-----END EC PRIVATE KEY-----',
    ).toString('base64');
    write(
      'kc',
      kubeconfig({
        ...base,
        users: [
          { name: 'u1', user: { token: 'tok-eeeeeeeeeeeeeeee' } },
          { name: 'u2', user: { username: 'admin', password: 'hunter2hunter2' } },
          { name: 'u3', user: { 'client-key-data': key, 'client-certificate-data': key } },
          {
            name: 'u4',
            user: {
              'auth-provider': {
                name: 'oidc',
                config: { 'id-token': 'idtok-ffffffffff', 'refresh-token': 'refresh-gggggggg' },
              },
            },
          },
        ],
      }),
    );
    load({ kubeconfig: 'kc' });
    const text = redact(
      `tok-eeeeeeeeeeeeeeee hunter2hunter2 ${key} idtok-ffffffffff refresh-gggggggg secretkeymaterial`,
    );
    for (const s of ['tok-eeee', 'hunter2', key, 'idtok', 'refresh-gggg']) expect(text).not.toContain(s);
  });

  it('lists the files kubectl would read', () => {
    expect(
      kubeconfigFiles({ cwd: '/w', env: { KUBECONFIG: `a${path.delimiter}${path.delimiter}/b` } }).files,
    ).toEqual(['/w/a', '/b']);
    expect(kubeconfigFiles({ cwd: '/w', env: { HOME: '/home/me' } }).files).toEqual([
      '/home/me/.kube/config',
    ]);
  });
});

describe('connect', () => {
  async function closedPort(): Promise<number> {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    return port;
  }

  it('GIVEN nothing listens at the server WHEN a request is made THEN the message says so plainly and hides the token', async () => {
    const port = await closedPort();
    write(
      'kc',
      kubeconfig({
        ...base,
        clusters: [{ name: 'c1', server: `https://127.0.0.1:${port}` }],
        users: [{ name: 'u1', user: { token: 'tok-hhhhhhhhhhhhhhhh' } }],
      }),
    );
    const client = await connect({ kubeconfig: 'kc', cwd: dir, env: { HOME: dir } });
    try {
      expect(client.defaultNamespace).toBe('shop');
      expect(client.server).toBe(`https://127.0.0.1:${port}`);
      expect(client.isSandbox).toBe(false);
      let err: unknown;
      try {
        await client.list({ apiVersion: 'v1', kind: 'ConfigMap' }, 'shop');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ClusterError);
      const message = (err as Error).message;
      expect(message).toBe(
        `cannot reach the cluster at https://127.0.0.1:${port} (connection refused); check --kubeconfig/--context`,
      );
      expect(JSON.stringify(err)).not.toContain('tok-hhhh');
      expect(String((err as Error).stack)).not.toContain('tok-hhhh');
    } finally {
      await client.close();
    }
  });

  it('GIVEN a plain http:// server without insecure-skip-tls-verify THEN connect explains', async () => {
    write('kc', kubeconfig({ ...base, clusters: [{ name: 'c1', server: 'http://127.0.0.1:1' }] }));
    await expect(connect({ kubeconfig: 'kc', cwd: dir, env: { HOME: dir } })).rejects.toThrow(
      'context "dev" points at http://127.0.0.1:1 over plain HTTP; vela-ts needs HTTPS (or insecure-skip-tls-verify: true in the kubeconfig)',
    );
  });

  it('GIVEN an exec plugin that fails printing a secret THEN the error names the plugin and never its output', async () => {
    const plugin = write(
      'plugin.sh',
      'echo "login failed for token EXECFAIL-secret-42"\necho "EXECFAIL-secret-42" >&2\nexit 1\n',
    );
    const garbage = write('garbage.sh', 'echo "not json EXECFAIL-secret-43"\n');
    for (const [script, secret] of [
      [plugin, 'EXECFAIL-secret-42'],
      [garbage, 'EXECFAIL-secret-43'],
    ] as const) {
      const user = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: [script] } };
      write('kc', kubeconfig({ ...base, users: [{ name: 'u1', user }] }));
      const err = await connect({ kubeconfig: 'kc', cwd: dir, env: { HOME: dir } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClusterError);
      expect((err as Error).message).toBe(
        'the exec credential plugin "sh" of context "dev" failed; its output is not shown, as it may hold secrets: run the plugin by hand to see why',
      );
      expect(JSON.stringify(err) + String((err as Error).stack)).not.toContain(secret);
    }
  });

  it('GIVEN insecure-skip-tls-verify together with a CA THEN refused as kubectl refuses it; alone THEN the client says it is insecure', async () => {
    const insecure = (extra: Record<string, unknown>) =>
      JSON.stringify({
        ...JSON.parse(kubeconfig(base)),
        clusters: [
          {
            name: 'c1',
            cluster: { server: 'https://10.1.1.1:6443', 'insecure-skip-tls-verify': true, ...extra },
          },
        ],
      });
    write('kc', insecure({ 'certificate-authority-data': Buffer.from('not a real CA').toString('base64') }));
    await expect(connect({ kubeconfig: 'kc', cwd: dir, env: { HOME: dir } })).rejects.toThrow(
      'context "dev": specifying a root certificates file with the insecure flag is not allowed',
    );
    write('kc', insecure({}));
    const client = await connect({ kubeconfig: 'kc', cwd: dir, env: { HOME: dir } });
    expect(client.insecure).toBe(true);
    await client.close();
  });
});
