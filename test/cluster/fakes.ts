/**
 * Test doubles for the cluster adapter: a scripted transport that records every request, and a
 * virtual clock whose time moves only when everything else is idle (so backoff waits are instant
 * and exactly measurable).
 */
import type { ClientClock } from '../../src/cluster/retry.js';
import {
  TransportError,
  type HttpRequest,
  type HttpResponse,
  type Transport,
} from '../../src/cluster/transport.js';

/**
 * Short sleeps (backoff waits) pass at once, moving virtual time; long ones (a waitFor deadline)
 * wait until the test calls `advance`.
 */
export class FakeClock implements ClientClock {
  time = 1_000_000;
  readonly sleeps: number[] = [];
  private timers: { at: number; resolve: () => void }[] = [];
  private readonly randomValue: number;
  private readonly autoLimitMs: number;

  constructor(randomValue = 0.5, autoLimitMs = 30_000) {
    this.randomValue = randomValue;
    this.autoLimitMs = autoLimitMs;
  }

  now(): number {
    return this.time;
  }

  random(): number {
    return this.randomValue;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new Error('aborted'));
        return;
      }
      if (ms <= this.autoLimitMs) {
        this.time += ms;
        setImmediate(resolve);
        return;
      }
      const timer = { at: this.time + ms, resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((t) => t !== timer);
          reject(new Error('aborted'));
        },
        { once: true },
      );
    });
  }

  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const t of due) t.resolve();
  }
}

export type StreamScript = {
  status?: number;
  lines?: unknown[];
  /** How the stream finishes after its lines: ends cleanly, is cut, or stays open until aborted. */
  then?: 'end' | 'reset' | 'hang';
  body?: unknown;
};

export type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | TransportError;

export function status(
  code: number,
  reason: string,
  message: string,
  details: Record<string, unknown> = {},
): Reply {
  return {
    status: code,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      details,
      code,
    },
  };
}

export class FakeTransport implements Transport {
  readonly server = 'https://10.0.0.1:6443';
  everConnected = false;
  readonly requests: HttpRequest[] = [];
  private readonly replies: Reply[] = [];
  private readonly scripts: StreamScript[] = [];
  /** Called as each watch request is made, before it answers. */
  onStream?: (req: HttpRequest) => void;

  reply(...replies: Reply[]): this {
    this.replies.push(...replies);
    return this;
  }

  /** Scripts the next watch streams, in order. */
  watches(...scripts: StreamScript[]): this {
    this.scripts.push(...scripts);
    return this;
  }

  paths(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    this.requests.push(req);
    await Promise.resolve();
    const next = this.replies.shift();
    if (!next) throw new Error(`unexpected request ${req.method} ${req.path}`);
    if (next instanceof TransportError) throw next;
    this.everConnected = true;
    return {
      status: next.status,
      headers: { 'content-type': 'application/json', ...next.headers },
      body: next.body === undefined ? '' : JSON.stringify(next.body),
    };
  }

  async stream(req: HttpRequest, onLine: (line: string) => void): Promise<HttpResponse> {
    this.requests.push(req);
    this.onStream?.(req);
    const script = this.scripts.shift();
    if (!script) {
      // Nothing scripted: a quiet watch that stays open until it is aborted.
      return new Promise((_resolve, reject) => {
        const abort = () => reject(new TransportError('ABORTED', 'cancelled', true));
        if (req.signal?.aborted) abort();
        req.signal?.addEventListener('abort', abort, { once: true });
      });
    }
    this.everConnected = true;
    const code = script.status ?? 200;
    if (code !== 200) return { status: code, headers: {}, body: JSON.stringify(script.body ?? {}) };
    for (const line of script.lines ?? []) {
      await new Promise((r) => setImmediate(r));
      if (req.signal?.aborted) throw new TransportError('ABORTED', 'cancelled', true);
      onLine(typeof line === 'string' ? line : JSON.stringify(line));
    }
    if (req.signal?.aborted) throw new TransportError('ABORTED', 'cancelled', true);
    switch (script.then ?? 'end') {
      case 'end':
        return { status: 200, headers: {}, body: '' };
      case 'reset':
        throw new TransportError('ECONNRESET', 'connection reset', true);
      case 'hang':
        return new Promise((_resolve, reject) => {
          const abort = () => reject(new TransportError('ABORTED', 'cancelled', true));
          if (req.signal?.aborted) abort();
          req.signal?.addEventListener('abort', abort, { once: true });
        });
    }
  }

  close(): void {}
}

export function deployment(name: string, rv: string, ready = 0, replicas = 1): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', resourceVersion: rv, generation: 1 },
    spec: { replicas },
    status: { observedGeneration: 1, readyReplicas: ready },
  };
}
