/**
 * The adapter over real HTTPS against a tiny scripted server: exact retry sequences, cut watches
 * and what goes on the wire (headers, content types), which the sandbox's random fail-rate cannot pin down.
 */
import fs from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connect, type ConnectedClient } from '../../src/cluster/connect.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { systemClock } from '../../src/clock.js';
import type { ClientClock as Clock } from '../../src/cluster/retry.js';
import { caught } from '../helpers/caught.js';
import { redact } from '../../src/redact.js';
import { generateTls, type TlsMaterial } from '../../src/sandbox/tls.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

const TOKEN = 'stub-token-9f8e7d6c5b4a';
let tls: TlsMaterial;
let server: https.Server;
let port: number;
let handlers: Handler[] = [];
let seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
let dir: string;
let client: ConnectedClient;

const fast = { baseMs: 5, capMs: 20, maxAttempts: 5, budgetMs: 5000, maxRetryAfterMs: 60 };

function json(res: http.ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(code, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function statusBody(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function kubeconfig(ca: string, token: string | Record<string, unknown> = TOKEN): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'stub',
    clusters: [
      {
        name: 'stub',
        cluster: {
          server: `https://127.0.0.1:${port}`,
          'certificate-authority-data': Buffer.from(ca).toString('base64'),
        },
      },
    ],
    users: [{ name: 'stub', user: typeof token === 'string' ? { token } : token }],
    contexts: [{ name: 'stub', context: { cluster: 'stub', user: 'stub', namespace: 'ns1' } }],
  });
}

beforeAll(async () => {
  tls = generateTls();
  server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const h = handlers.shift();
      if (h) h(req, res, body);
      else json(res, 500, statusBody(500, 'InternalError', `unscripted ${req.method} ${req.url}`));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(async () => {
  handlers = [];
  seen = [];
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-stub-'));
  fs.writeFileSync(path.join(dir, 'kc'), kubeconfig(tls.caCert));
  client = await connect({ kubeconfig: 'kc', cwd: dir, env: { HOME: dir }, retry: fast });
});

afterEach(async () => {
  await client.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };

it('sends the token, a vela-ts User-Agent, and the apply-patch content type with field manager vela-ts', async () => {
  handlers.push((_q, res, body) => json(res, 201, JSON.parse(body)));
  await client.apply(cm);
  const req = seen[0]!;
  expect(req.method).toBe('PATCH');
  expect(req.url).toBe('/api/v1/namespaces/ns1/configmaps/c?fieldManager=vela-ts&fieldValidation=Strict');
  expect(req.headers['content-type']).toBe('application/apply-patch+yaml');
  expect(req.headers['user-agent']).toMatch(/^vela-ts\/0\.1\.0/);
  expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
  expect(JSON.parse(req.body)).toEqual({ ...cm, metadata: { name: 'c', namespace: 'ns1' } });
});

it('GIVEN 429 with Retry-After, then 503, then 200 THEN get succeeds after waiting at least Retry-After', async () => {
  handlers.push(
    (_q, res) => json(res, 429, statusBody(429, 'TooManyRequests', 'slow down'), { 'Retry-After': '1' }),
    (_q, res) => json(res, 503, statusBody(503, 'ServiceUnavailable', 'busy')),
    (_q, res) => json(res, 200, cm),
  );
  // The system clock, recording each wait before a retry.
  const sleeps: number[] = [];
  const clock: Clock = {
    ...systemClock,
    sleep: (ms, signal) => (sleeps.push(ms), systemClock.sleep(ms, signal)),
  };
  const timed = await connect({ kubeconfig: 'kc', cwd: dir, env: { HOME: dir }, retry: fast, clock });
  try {
    expect(await timed.get({ ...cm, namespace: 'ns1', name: 'c' })).toMatchObject({ data: { a: '1' } });
  } finally {
    await timed.close();
  }
  expect(seen).toHaveLength(3);
  // Retry-After 1 s clamped to the test policy's 60 ms, then the jittered backoff after the 503.
  expect(sleeps).toEqual([60, expect.any(Number)]);
});

it('GIVEN the connection is reset mid-request THEN the request is retried', async () => {
  handlers.push(
    (_q, res) => json(res, 200, cm),
    (q) => q.socket.destroy(),
    (_q, res) => json(res, 200, cm),
  );
  await client.get({ ...cm, namespace: 'ns1', name: 'c' });
  await client.apply(cm);
  expect(seen.map((s) => s.method)).toEqual(['GET', 'PATCH', 'PATCH']);
});

it('GIVEN 401 THEN the message names the context and never the token', async () => {
  handlers.push((_q, res) =>
    json(res, 401, statusBody(401, 'Unauthorized', `Unauthorized: bad token ${TOKEN}`)),
  );
  const err = await caught(client.list({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'ns1'));
  expect(err.message).toBe('the cluster rejected the credentials (401 Unauthorized) for context "stub"');
  expect(`${err.message}\n${err.stack ?? ''}\n${JSON.stringify(err)}`).not.toContain(TOKEN);
  expect(seen).toHaveLength(1);
});

it('GIVEN a 422 echoing the token THEN the quoted Status message is redacted', async () => {
  handlers.push((_q, res) =>
    json(res, 422, statusBody(422, 'Invalid', `ConfigMap "c" is invalid: data: ${TOKEN}`)),
  );
  const err = await caught(client.create(cm));
  expect(err.message).toBe(
    'the cluster rejected ConfigMap "c" in namespace "ns1": ConfigMap "c" is invalid: data: [REDACTED]',
  );
});

it('GIVEN a cut watch THEN waitFor resumes from the last resourceVersion seen', async () => {
  const dep = (rv: string, ready: number) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns1', resourceVersion: rv },
    status: { readyReplicas: ready },
  });
  handlers.push(
    (_q, res) =>
      json(res, 200, { kind: 'DeploymentList', metadata: { resourceVersion: '10' }, items: [dep('9', 0)] }),
    (_q, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(JSON.stringify({ type: 'MODIFIED', object: dep('11', 0) }) + '\n');
      // half an event, then, once it is sent, the connection dies
      res.write('{"type":"MODIFIED","obj', () => res.socket?.destroy());
    },
    (_q, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(JSON.stringify({ type: 'MODIFIED', object: dep('12', 1) }) + '\n');
    },
  );
  const snap = await client.waitFor(
    { apiVersion: 'apps/v1', kind: 'Deployment' },
    'ns1',
    (objs) => (objs.get('web')?.status as { readyReplicas?: number } | undefined)?.readyReplicas === 1,
    { timeoutMs: 10_000 },
  );
  expect(snap.get('web')?.metadata.resourceVersion).toBe('12');
  const watches = seen
    .filter((s) => s.url.includes('watch=1'))
    .map((s) => /resourceVersion=(\d+)/.exec(s.url)?.[1]);
  expect(watches).toEqual(['10', '11']);
});

it('GIVEN a server whose certificate the kubeconfig CA did not sign THEN it says so and does not retry', async () => {
  const other = generateTls();
  fs.writeFileSync(path.join(dir, 'kc2'), kubeconfig(other.caCert));
  const c2 = await connect({ kubeconfig: 'kc2', cwd: dir, env: { HOME: dir }, retry: fast });
  try {
    const err = await caught(c2.list({ apiVersion: 'v1', kind: 'ConfigMap' }, 'ns1'));
    expect(err.message).toBe(
      `cannot reach the cluster at https://127.0.0.1:${port} (the server's certificate is not signed by the kubeconfig's certificate authority); check --kubeconfig/--context`,
    );
  } finally {
    await c2.close();
  }
});

it('GIVEN an exec credential plugin THEN it runs once, its token is never shown, and a 401 fetches a fresh one', async () => {
  const counter = path.join(dir, 'count');
  const plugin = path.join(dir, 'plugin.cjs');
  fs.writeFileSync(
    plugin,
    `const fs = require('fs');
const n = fs.existsSync(${JSON.stringify(counter)}) ? Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8')) + 1 : 1;
fs.writeFileSync(${JSON.stringify(counter)}, String(n));
console.log(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'exec-token-' + n + '-abcdefgh' } }));`,
  );
  const exec = {
    exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin] },
  };
  fs.writeFileSync(path.join(dir, 'kc-exec'), kubeconfig(tls.caCert, exec));
  const c2 = await connect({ kubeconfig: 'kc-exec', cwd: dir, env: { HOME: dir }, retry: fast });
  try {
    handlers.push(
      (_q, res) => json(res, 200, cm),
      (_q, res) => json(res, 200, cm),
      (_q, res) => json(res, 401, statusBody(401, 'Unauthorized', 'token expired')),
      (_q, res) => json(res, 200, cm),
    );
    const ref = { ...cm, namespace: 'ns1', name: 'c' };
    await c2.get(ref);
    await c2.get(ref);
    await c2.get(ref);
    expect(seen.map((s) => s.headers.authorization)).toEqual([
      'Bearer exec-token-1-abcdefgh',
      'Bearer exec-token-1-abcdefgh',
      'Bearer exec-token-1-abcdefgh',
      'Bearer exec-token-2-abcdefgh',
    ]);
    expect(redact('exec-token-1-abcdefgh exec-token-2-abcdefgh')).not.toContain('exec-token');
  } finally {
    await c2.close();
  }
});
