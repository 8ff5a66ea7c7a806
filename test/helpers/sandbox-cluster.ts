import { mkdtempSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { auditEntry, readAudit } from './audit.js';
import { runCli, type CliResult } from './cli.js';
import { sharedTls } from './tls.js';

export interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
}

export interface AuditLine {
  method: string;
  path: string;
  code: number;
  userAgent?: string;
}

/** A small seeded generator (mulberry32): the same failures in the same order on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A sandbox API server for one test file, with a kubeconfig and an audit log on disk, and the
 * built binary pointed at it: the same path a user's `vela-ts --kubeconfig` takes.
 */
export class SandboxCluster {
  readonly dir: string;
  readonly kubeconfig: string;
  readonly auditLog: string;
  sandbox!: Sandbox;

  constructor(
    readonly readyDelayMs = 30,
    readonly failRate = 0,
    /** More for startSandbox, e.g. `{ prometheus: { bin: requirePrometheus() } }` (test/helpers/prometheus.ts). */
    readonly options: SandboxOptions = {},
  ) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-e2e-'));
    this.kubeconfig = path.join(this.dir, 'kubeconfig');
    this.auditLog = path.join(this.dir, 'audit.log');
  }

  async start(): Promise<this> {
    this.sandbox = await startSandbox({
      port: 0,
      readyDelayMs: this.readyDelayMs,
      kubeconfigPath: this.kubeconfig,
      auditLogPath: this.auditLog,
      failRate: this.failRate,
      random: seeded(42),
      tls: sharedTls(),
      ...this.options,
    });
    return this;
  }

  stop(): Promise<void> {
    return this.sandbox.close();
  }

  vela(args: string[], opts: Parameters<typeof runCli>[1] = {}): Promise<CliResult> {
    return runCli(['--kubeconfig', this.kubeconfig, ...args], { cwd: this.dir, ...opts });
  }

  file(name: string, text: string): string {
    const p = path.join(this.dir, name);
    writeFileSync(p, text);
    return p;
  }

  /** Audit lines so far, for counting what a command sent. */
  audit(): AuditLine[] {
    return readAudit<AuditLine>(this.auditLog);
  }

  /** The first request (answered so far or from now on) that satisfies `pred`; woken by the log's growth, no polling. */
  auditEntry(what: string, pred: (r: AuditLine) => boolean, after = 0): Promise<AuditLine> {
    return auditEntry(this.auditLog, what, pred, { after });
  }

  /**
   * The first object of `resource` in `ns` that satisfies `pred`, from the server's own watch
   * events: the objects as they are now, then each change. A cut stream is watched again.
   */
  until(
    what: string,
    group: string,
    resource: string,
    pred: (o: Obj) => boolean,
    ns = 'default',
    timeoutMs = 20_000,
  ): Promise<Obj> {
    const base = group === '' ? '/api/v1' : `/apis/${group}`;
    const url = new URL(`${this.sandbox.url}${base}/namespaces/${ns}/${resource}?watch=true`);
    return new Promise<Obj>((resolve, reject) => {
      let req: ReturnType<typeof https.request> | undefined;
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req?.destroy();
        fn();
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`timed out waiting for ${what}`))),
        timeoutMs,
      );
      const open = () => {
        if (settled) return;
        req = https.request(
          {
            hostname: url.hostname,
            port: url.port,
            path: url.pathname + url.search,
            ca: this.sandbox.caPem,
            headers: { authorization: `Bearer ${this.sandbox.token}`, 'user-agent': 'vela-ts-test' },
          },
          (res) => {
            let buffered = '';
            res.on('data', (c: Buffer) => {
              buffered += c.toString();
              const lines = buffered.split('\n');
              buffered = lines.pop()!;
              for (const line of lines) {
                if (!line) continue;
                const ev = JSON.parse(line) as { type: string; object: Obj };
                if ((ev.type === 'ADDED' || ev.type === 'MODIFIED') && pred(ev.object))
                  return finish(() => resolve(ev.object));
              }
            });
            // --fail-rate cuts watches (and fails some with 5xx/429): watch again.
            res.on('end', open);
            res.on('error', () => undefined);
          },
        );
        req.on('error', (err) => finish(() => reject(err)));
        req.end();
      };
      open();
    });
  }

  /** A namespace set up for the mesh (istio-injection=enabled), unless `meshed` is false. */
  async createNamespace(name: string, meshed = true): Promise<void> {
    const res = await this.request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, ...(meshed ? { labels: { 'istio-injection': 'enabled' } } : {}) },
    });
    if (res.code !== 201) throw new Error(`namespace ${name}: ${res.code}`);
  }

  /** The test's own requests retry what --fail-rate injects, so only vela-ts is put to the test. */
  async request(method: string, urlPath: string, body?: unknown): Promise<{ code: number; body: unknown }> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.once(method, urlPath, body);
      if (![429, 500, 503].includes(res.code) || attempt >= 20) return res;
    }
  }

  private once(method: string, urlPath: string, body?: unknown): Promise<{ code: number; body: unknown }> {
    const url = new URL(this.sandbox.url + urlPath);
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          hostname: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method,
          ca: this.sandbox.caPem,
          headers: {
            authorization: `Bearer ${this.sandbox.token}`,
            'user-agent': 'vela-ts-test',
            'content-type': 'application/json',
          },
        },
        (res) => {
          let data = '';
          res.on('data', (c: Buffer) => (data += c.toString()));
          res.on('end', () =>
            resolve({ code: res.statusCode ?? 0, body: data ? (JSON.parse(data) as unknown) : undefined }),
          );
        },
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  async list(group: string, resource: string, ns = 'default', selector?: string): Promise<Obj[]> {
    const base = group === '' ? '/api/v1' : `/apis/${group}`;
    const q = selector ? `?labelSelector=${encodeURIComponent(selector)}` : '';
    const res = await this.request('GET', `${base}/namespaces/${ns}/${resource}${q}`);
    return (res.body as { items?: Obj[] }).items ?? [];
  }

  async get(group: string, resource: string, name: string, ns = 'default'): Promise<Obj | undefined> {
    const base = group === '' ? '/api/v1' : `/apis/${group}`;
    const res = await this.request('GET', `${base}/namespaces/${ns}/${resource}/${name}`);
    return res.code === 200 ? (res.body as Obj) : undefined;
  }

  /** Deployment name -> "ready/desired". */
  async deployments(ns = 'default'): Promise<Record<string, string>> {
    const items = await this.list('apps/v1', 'deployments', ns);
    return Object.fromEntries(
      items.map((d) => [
        d.metadata.name,
        `${(d.status?.readyReplicas as number | undefined) ?? 0}/${(d.spec?.replicas as number | undefined) ?? 1}`,
      ]),
    );
  }

  /** VirtualService route of `name` as [[subset, weight]]. */
  async routes(name: string, ns = 'default'): Promise<[string | undefined, number | undefined][]> {
    const vs = await this.get('networking.istio.io/v1', 'virtualservices', name, ns);
    const http = (vs?.spec?.http ?? []) as {
      route: { destination: { subset?: string }; weight?: number }[];
    }[];
    return (http[0]?.route ?? []).map((r) => [r.destination.subset, r.weight]);
  }

  async subsets(name: string, ns = 'default'): Promise<string[]> {
    const dr = await this.get('networking.istio.io/v1', 'destinationrules', name, ns);
    return ((dr?.spec?.subsets ?? []) as { name: string }[]).map((s) => s.name);
  }
}
