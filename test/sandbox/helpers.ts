import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { runProcess, type CliResult } from '../helpers/cli.js';
import { sharedTls } from '../helpers/tls.js';

export function tmpDir(prefix = 'vela-sandbox-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function start(opts: SandboxOptions = {}): Promise<{ sb: Sandbox; kc: KubeConfig }> {
  const sb = await startSandbox({ port: 0, readyDelayMs: 20, tls: sharedTls(), ...opts });
  const kc = new KubeConfig();
  kc.loadFromString(sb.kubeconfig);
  return { sb, kc };
}

/**
 * kubectl against a sandbox, with a fresh cache folder per command: its discovery cache must not
 * hide what a test looks at, nor leak between users. `where` names the test's folder and
 * kubeconfig (set in its beforeAll); `opts.kubeconfig` runs one command with another.
 */
export function kubectlIn(
  where: () => { dir: string; kubeconfig: string },
): (args: string[], opts?: { input?: string; kubeconfig?: string }) => Promise<CliResult> {
  let n = 0;
  return (args, opts = {}) => {
    const { dir, kubeconfig } = where();
    return runProcess(
      'kubectl',
      ['--kubeconfig', opts.kubeconfig ?? kubeconfig, '--cache-dir', path.join(dir, `cache-${n++}`), ...args],
      opts.input === undefined ? {} : { input: opts.input },
    );
  };
}

/** Raw HTTPS to the sandbox (global fetch cannot take a CA, so use node:https). */
export async function raw(
  sb: Pick<Sandbox, 'url' | 'caPem' | 'token'>,
  method: string,
  urlPath: string,
  opts: {
    body?: unknown;
    contentType?: string;
    accept?: string;
    token?: string | null;
    userAgent?: string;
    /** More request headers (e.g. Impersonate-User). */
    headers?: Record<string, string>;
  } = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}> {
  const https = await import('node:https');
  // A string or Buffer goes as it is (a protobuf body is bytes); anything else as JSON.
  const payload =
    opts.body === undefined
      ? undefined
      : typeof opts.body === 'string' || Buffer.isBuffer(opts.body)
        ? opts.body
        : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
    if (opts.token !== null) headers.Authorization = `Bearer ${opts.token ?? sb.token}`;
    if (payload !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    if (opts.userAgent) headers['User-Agent'] = opts.userAgent;
    Object.assign(headers, opts.headers ?? {});
    const req = https.request(`${sb.url}${urlPath}`, { method, ca: sb.caPem, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        let body: any;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/**
 * Resolves with the first watch event that satisfies `pred`: tests wait on the server's own
 * events, never on sleeps.
 */
export async function waitFor<T = any>(
  kc: KubeConfig,
  listPath: string,
  params: Record<string, string | boolean>,
  pred: (type: string, obj: any) => boolean,
  timeoutMs = 15000,
): Promise<T> {
  const w = new Watch(kc);
  let req: AbortController | undefined;
  try {
    return await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting on ${listPath}`)), timeoutMs);
      void w
        .watch(
          listPath,
          params,
          (type, obj) => {
            if (pred(type, obj)) {
              clearTimeout(timer);
              resolve(obj as T);
            }
          },
          (err: Error | null) => {
            if (err && err.name !== 'AbortError') {
              clearTimeout(timer);
              reject(err);
            }
          },
        )
        .then((r) => (req = r), reject);
    });
  } finally {
    req?.abort();
  }
}

export const deployment = (
  name: string,
  replicas = 2,
  image = 'nginx:1.27',
  extra: Record<string, unknown> = {},
) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default', labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080 }] }] },
    },
    ...extra,
  },
});
