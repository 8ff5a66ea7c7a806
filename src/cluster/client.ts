/**
 * The ClusterClient over raw HTTPS. Everything returned is the server's JSON as is (no typed
 * models, so CRD and unknown fields survive); every failure is a ClusterError in plain words.
 */
import { ClusterError, KIND_NOT_SERVED } from '../errors.js';
import {
  groupVersionPath,
  resourceFromDiscovery,
  resourcePath,
  staticResource,
  type ResourceInfo,
} from './kinds.js';
import { systemClock } from '../clock.js';
import {
  defaultRetryPolicy,
  nextDelay,
  parseRetryAfter,
  type ClientClock,
  type RetryPolicy,
} from './retry.js';
import {
  isRetryableStatus,
  networkError,
  parseStatus,
  statusError,
  type Operation,
  type Target,
} from './translate.js';
import { TransportError, type HttpRequest, type HttpResponse, type Transport } from './transport.js';
import type {
  ApplyOptions,
  ClusterClient,
  KindRef,
  KubeObject,
  ListResult,
  ObjectRef,
  ProxyResponse,
  ServicePort,
  ServerVersion,
  WaitOptions,
  WriteOptions,
} from './types.js';
import { formatDuration } from '../duration.js';

const FIELD_MANAGER = 'vela-ts';
export const USER_AGENT = 'vela-ts/0.1.0';

/** A header the sandbox sets on its answers; any reply carrying it marks the server as the sandbox. */
export const SANDBOX_HEADER = 'x-vela-ts-sandbox';

/** waitFor ran out of time; `snapshot` is the last state seen, for the caller to say what is missing. */
export class WaitTimeoutError extends ClusterError {
  override name = 'WaitTimeoutError';
  readonly snapshot: ReadonlyMap<string, KubeObject>;
  constructor(message: string, snapshot: ReadonlyMap<string, KubeObject>) {
    super(message, 0, 'Timeout');
    this.snapshot = snapshot;
  }
}

export interface ClientOptions {
  transport: Transport;
  defaultNamespace: string;
  /** The kubeconfig context name, for messages. */
  context: string;
  /** Known up front (connect started the sandbox, or its kubeconfig says so). */
  sandbox?: boolean;
  clock?: ClientClock;
  retry?: RetryPolicy;
  /** Longest single watch request, in seconds; the watch is renewed after it (like client-go's 5-10 min). */
  watchSeconds?: number;
  /**
   * A watch that delivers nothing, not even a BOOKMARK (which the apiserver sends about once a
   * minute), for this long is taken for a connection that went silent: it is re-listed and watched
   * anew. Default 90 s, well under a step's timeout.
   */
  watchSilenceMs?: number;
}

type Retry = 'idempotent' | 'create';

interface CallOptions {
  signal?: AbortSignal;
  /** Resolve 404 as a response instead of throwing. */
  allow404?: boolean;
  retry: Retry;
}

export class KubeClusterClient implements ClusterClient {
  readonly defaultNamespace: string;
  readonly server: string;
  private readonly transport: Transport;
  private readonly target: Target;
  private readonly clock: ClientClock;
  private readonly policy: RetryPolicy;
  private readonly watchSeconds: number;
  private readonly watchSilenceMs: number;
  private sandboxKnown: boolean;
  private readonly discovery = new Map<string, Promise<unknown>>();

  constructor(opts: ClientOptions) {
    this.transport = opts.transport;
    this.defaultNamespace = opts.defaultNamespace;
    this.server = opts.transport.server;
    this.target = { server: opts.transport.server, context: opts.context };
    this.clock = opts.clock ?? systemClock;
    this.policy = opts.retry ?? defaultRetryPolicy;
    this.watchSeconds = opts.watchSeconds ?? 300;
    this.watchSilenceMs = opts.watchSilenceMs ?? 90_000;
    this.sandboxKnown = opts.sandbox ?? false;
  }

  get isSandbox(): boolean {
    return this.sandboxKnown;
  }

  close(): Promise<void> {
    this.transport.close();
    return Promise.resolve();
  }

  // ---- reads ---------------------------------------------------------------------------------

  async serverVersion(): Promise<ServerVersion> {
    const op: Operation = { verb: 'get', kind: '/version', apiVersion: '' };
    const res = await this.call(op, { method: 'GET', path: '/version' }, { retry: 'idempotent' });
    const body = parseObject(res.body, op, this.target) as unknown as Partial<ServerVersion>;
    if (typeof body.gitVersion !== 'string') {
      throw new ClusterError(
        `the cluster at ${this.server} answered /version without a gitVersion`,
        0,
        'BadResponse',
      );
    }
    return body as ServerVersion;
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const info = await this.resolve(ref);
    const namespace = this.namespaceFor(info, ref.namespace);
    const op = this.op('get', ref, info, ref.name, namespace);
    const res = await this.call(
      op,
      { method: 'GET', path: resourcePath(info, namespace, ref.name) },
      { retry: 'idempotent', allow404: true },
    );
    if (res.status === 404) {
      // A missing namespace or kind is not "no such object": say what is really wrong.
      const err = statusError(op, this.target, 404, res.body);
      if (err.reason === KIND_NOT_SERVED) throw err;
      return undefined;
    }
    return withKind(parseObject(res.body, op, this.target), ref);
  }

  async list(kind: KindRef, namespace: string, opts: { labelSelector?: string } = {}): Promise<ListResult> {
    const info = await this.resolve(kind);
    return this.listWith(info, kind, namespace, opts);
  }

  private async listWith(
    info: ResourceInfo,
    kind: KindRef,
    namespace: string,
    opts: { labelSelector?: string; fieldSelector?: string },
    signal?: AbortSignal,
  ): Promise<ListResult> {
    const ns = this.namespaceFor(info, namespace, true);
    const op = this.op('list', kind, info, undefined, ns);
    const path =
      resourcePath(info, ns) +
      query({ labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector });
    const res = await this.call(op, { method: 'GET', path, signal }, { retry: 'idempotent', signal });
    const body = parseObject(res.body, op, this.target) as {
      items?: unknown;
      metadata?: { resourceVersion?: string };
    };
    const items = Array.isArray(body.items) ? (body.items as KubeObject[]) : [];
    // List items come without apiVersion/kind from a real API server.
    return {
      items: items.map((o) => withKind(o, kind)),
      resourceVersion: body.metadata?.resourceVersion ?? '',
    };
  }

  // ---- writes --------------------------------------------------------------------------------

  async apply(obj: KubeObject, opts: ApplyOptions = {}): Promise<KubeObject> {
    const info = await this.resolve(obj);
    const namespace = this.namespaceFor(info, obj.metadata.namespace);
    const op = this.op('patch', obj, info, obj.metadata.name, namespace);
    const body = stripForApply(obj, info.namespaced ? namespace : undefined);
    const path =
      resourcePath(info, namespace, obj.metadata.name) +
      query({
        fieldManager: FIELD_MANAGER,
        fieldValidation: 'Strict',
        // `force` is only legal on apply patches (the apiserver refuses it on others with a 400),
        // and only sent when asked.
        force: opts.force ? 'true' : undefined,
        dryRun: opts.dryRun ? 'All' : undefined,
      });
    const res = await this.call(
      op,
      {
        method: 'PATCH',
        path,
        body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/apply-patch+yaml' },
      },
      { retry: 'idempotent' },
    );
    return withKind(parseObject(res.body, op, this.target), obj);
  }

  async create(obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const info = await this.resolve(obj);
    const namespace = this.namespaceFor(info, obj.metadata.namespace);
    const op = this.op('create', obj, info, obj.metadata.name, namespace);
    const body = withNamespace(obj, info.namespaced ? namespace : undefined);
    const path = resourcePath(info, namespace) + writeQuery(opts);
    const res = await this.call(
      op,
      { method: 'POST', path, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } },
      { retry: 'create' },
    );
    return withKind(parseObject(res.body, op, this.target), obj);
  }

  async replace(obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const info = await this.resolve(obj);
    const namespace = this.namespaceFor(info, obj.metadata.namespace);
    const op = this.op('update', obj, info, obj.metadata.name, namespace);
    const body = withNamespace(obj, info.namespaced ? namespace : undefined);
    const path = resourcePath(info, namespace, obj.metadata.name) + writeQuery(opts);
    // A PUT carrying resourceVersion is safe to retry: a repeat after a lost answer is a 409,
    // which the caller handles by re-reading, exactly as for a real conflict.
    const res = await this.call(
      op,
      { method: 'PUT', path, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } },
      { retry: 'idempotent' },
    );
    return withKind(parseObject(res.body, op, this.target), obj);
  }

  async delete(ref: ObjectRef, opts: WriteOptions = {}): Promise<boolean> {
    const info = await this.resolve(ref);
    const namespace = this.namespaceFor(info, ref.namespace);
    const op = this.op('delete', ref, info, ref.name, namespace);
    const path =
      resourcePath(info, namespace, ref.name) +
      query({ propagationPolicy: 'Background', dryRun: opts.dryRun ? 'All' : undefined });
    const res = await this.call(op, { method: 'DELETE', path }, { retry: 'idempotent', allow404: true });
    if (res.status === 404) {
      const err = statusError(op, this.target, 404, res.body);
      if (err.reason === KIND_NOT_SERVED) throw err;
      return false;
    }
    return true;
  }

  // ---- waiting -------------------------------------------------------------------------------

  async waitFor(
    kind: KindRef,
    namespace: string,
    done: (objects: ReadonlyMap<string, KubeObject>) => boolean,
    opts: WaitOptions,
  ): Promise<ReadonlyMap<string, KubeObject>> {
    const info = await this.resolve(kind);
    const ns = this.namespaceFor(info, namespace, true);
    const snapshot = new Map<string, KubeObject>();
    const ctrl = new AbortController();
    const onOuterAbort = () => ctrl.abort();
    if (opts.signal?.aborted) ctrl.abort();
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
    let timedOut = false;
    void this.clock.sleep(opts.timeoutMs, ctrl.signal).then(
      () => {
        timedOut = true;
        ctrl.abort();
      },
      () => undefined,
    );
    try {
      return await this.watchUntil(info, kind, ns, done, opts, snapshot, ctrl.signal);
    } catch (err) {
      const res = info.namespaced && ns ? `${info.plural} in namespace "${ns}"` : info.plural;
      if (timedOut) {
        throw new WaitTimeoutError(
          `timed out after ${formatDuration(opts.timeoutMs)} waiting for ${res}`,
          new Map(snapshot),
        );
      }
      if (opts.signal?.aborted) throw new ClusterError(`cancelled while waiting for ${res}`, 0, 'Aborted');
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onOuterAbort);
      ctrl.abort();
    }
  }

  private async watchUntil(
    info: ResourceInfo,
    kind: KindRef,
    ns: string,
    done: (objects: ReadonlyMap<string, KubeObject>) => boolean,
    opts: WaitOptions,
    snapshot: Map<string, KubeObject>,
    signal: AbortSignal,
  ): Promise<ReadonlyMap<string, KubeObject>> {
    const op = this.op('watch', kind, info, undefined, ns);
    const selectors = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
    let from = opts.resourceVersion;
    for (;;) {
      let rv: string;
      if (from) {
        rv = from;
        from = undefined;
      } else {
        const list = await this.listWith(info, kind, ns, selectors, signal);
        snapshot.clear();
        for (const o of list.items) snapshot.set(o.metadata.name, o);
        if (done(snapshot)) return snapshot;
        rv = list.resourceVersion;
      }
      let failures = 0;
      let failingSince = 0;

      // Watch from the list's resourceVersion; resume from the last one seen when the stream ends.
      for (;;) {
        const outcome = await this.watchOnce(info, kind, ns, selectors, rv, snapshot, done, signal, op);
        rv = outcome.rv;
        if (outcome.kind === 'done') return snapshot;
        if (outcome.kind === 'relist') break;
        if (outcome.kind === 'ended') {
          failures = 0;
          continue;
        }
        // A failure (cut connection, 5xx, 429): back off, then resume from rv.
        if (outcome.progressed) failures = 0;
        if (failures === 0) failingSince = this.clock.now();
        const delay = nextDelay(this.policy, failures, failingSince, this.clock, outcome.retryAfterMs);
        if (delay === undefined) throw outcome.error;
        failures++;
        await this.clock.sleep(delay, signal);
      }
    }
  }

  private async watchOnce(
    info: ResourceInfo,
    kind: KindRef,
    ns: string,
    selectors: { labelSelector?: string; fieldSelector?: string },
    startRv: string,
    snapshot: Map<string, KubeObject>,
    done: (objects: ReadonlyMap<string, KubeObject>) => boolean,
    signal: AbortSignal,
    op: Operation,
  ): Promise<WatchOutcome> {
    let rv = startRv;
    let finished = false;
    let relist = false;
    let progressed = false;
    let thrown: unknown;
    let errorEvent: { code: number; body: string } | undefined;
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    // Silence (no line at all) for watchSilenceMs ends this watch; the caller re-lists.
    let silent = false;
    let quiet = new AbortController();
    const arm = () => {
      quiet.abort();
      quiet = new AbortController();
      void this.clock.sleep(this.watchSilenceMs, quiet.signal).then(
        () => {
          silent = true;
          stop.abort();
        },
        () => undefined,
      );
    };
    arm();
    const path =
      resourcePath(info, ns || undefined) +
      query({
        ...selectors,
        watch: '1',
        resourceVersion: rv || undefined,
        allowWatchBookmarks: 'true',
        timeoutSeconds: String(this.watchSeconds),
      });

    const onLine = (line: string) => {
      if (finished || relist || thrown !== undefined) return;
      arm();
      let event: { type?: string; object?: KubeObject & { code?: number } };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        return; // a torn line from a cut stream; the resume re-delivers what it held
      }
      const obj = event.object;
      if (!obj) return;
      const objRv = obj.metadata?.resourceVersion;
      switch (event.type) {
        case 'ADDED':
        case 'MODIFIED':
          snapshot.set(obj.metadata.name, withKind(obj, kind));
          break;
        case 'DELETED':
          snapshot.delete(obj.metadata.name);
          break;
        case 'BOOKMARK':
          if (objRv) rv = objRv;
          return;
        case 'ERROR':
          if (obj.code === 410) relist = true;
          else errorEvent = { code: obj.code ?? 500, body: JSON.stringify(obj) };
          stop.abort();
          return;
        default:
          return;
      }
      if (objRv) rv = objRv;
      progressed = true;
      try {
        if (done(snapshot)) {
          finished = true;
          stop.abort();
        }
      } catch (err) {
        thrown = err;
        stop.abort();
      }
    };

    let res: HttpResponse | undefined;
    let transportErr: TransportError | undefined;
    try {
      res = await this.transport.stream(
        { method: 'GET', path, signal: stop.signal, timeoutMs: (this.watchSeconds + 30) * 1000 },
        onLine,
      );
      this.noteResponse(res);
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      transportErr = err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      quiet.abort();
    }

    if (thrown !== undefined) throw thrown instanceof Error ? thrown : new Error('the wait condition failed');
    if (finished) return { kind: 'done', rv };
    if (relist || (silent && !signal.aborted)) return { kind: 'relist', rv };
    if (signal.aborted) throw new TransportError('ABORTED', 'the request was cancelled');
    if (errorEvent) {
      const error = statusError(op, this.target, errorEvent.code, errorEvent.body);
      if (!isRetryableStatus(errorEvent.code, parseStatus(errorEvent.body))) throw error;
      return { kind: 'failed', rv, error, progressed };
    }
    if (transportErr) {
      if (transportErr.code === 'ECONNREFUSED' && !this.transport.everConnected)
        throw networkError(this.target, transportErr);
      if (!isRetryableNetwork(transportErr)) throw networkError(this.target, transportErr);
      return { kind: 'failed', rv, error: networkError(this.target, transportErr), progressed };
    }
    if (!res) throw new Error('unreachable: watch ended with neither response nor error');
    if (res.status === 200) return { kind: 'ended', rv };
    if (res.status === 410) return { kind: 'relist', rv };
    const status = parseStatus(res.body);
    const error = statusError(op, this.target, res.status, res.body);
    if (!isRetryableStatus(res.status, status)) throw error;
    return {
      kind: 'failed',
      rv,
      error,
      progressed,
      retryAfterMs: parseRetryAfter(headerValue(res.headers['retry-after']), this.clock.now()),
    };
  }

  // ---- service proxy -------------------------------------------------------------------------

  async proxyGet(
    service: ServicePort,
    pathAndQuery: string,
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<ProxyResponse> {
    // `<name>:<port>` is the apiserver's form for http; https is said explicitly.
    // The colons stay as they are: it is the form kubectl proxy and the apiserver docs write.
    const target = [service.scheme === 'https' ? 'https' : '', service.name, String(service.port)]
      .filter(Boolean)
      .map(encodeURIComponent)
      .join(':');
    const path =
      `/api/v1/namespaces/${encodeURIComponent(service.namespace)}/services/` +
      `${target}/proxy${pathAndQuery.startsWith('/') ? '' : '/'}${pathAndQuery}`;
    try {
      const res = await this.transport.request({
        method: 'GET',
        path,
        headers: { accept: 'application/json' },
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      });
      this.noteResponse(res);
      const contentType = headerValue(res.headers['content-type']);
      return { status: res.status, body: res.body, ...(contentType ? { contentType } : {}) };
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      if (err.code === 'ABORTED') throw new ClusterError('cancelled', 0, 'Aborted');
      throw networkError(this.target, err);
    }
  }

  // ---- plumbing ------------------------------------------------------------------------------

  /**
   * One request with retries. Reads, server-side apply, PUT with resourceVersion and delete are
   * idempotent; a create repeated after a lost answer may meet its own object, and then says so.
   */
  private async call(op: Operation, req: HttpRequest, opts: CallOptions): Promise<HttpResponse> {
    const startedAt = this.clock.now();
    let retried = false;
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await this.transport.request(req);
      } catch (err) {
        if (!(err instanceof TransportError)) throw err;
        if (err.code === 'ABORTED') throw new ClusterError('cancelled', 0, 'Aborted');
        // A refused connection before anything ever answered means a wrong address: say so now.
        const retryable =
          isRetryableNetwork(err) && (err.code !== 'ECONNREFUSED' || this.transport.everConnected);
        const delay = retryable ? nextDelay(this.policy, attempt, startedAt, this.clock) : undefined;
        if (delay === undefined) throw networkError(this.target, err, attempt + 1);
        retried = true;
        await this.sleep(delay, opts.signal);
        continue;
      }
      this.noteResponse(res);
      if (res.status >= 200 && res.status < 300) return res;
      if (res.status === 404 && opts.allow404) return res;
      const status = parseStatus(res.body);
      if (isRetryableStatus(res.status, status)) {
        const retryAfter = parseRetryAfter(headerValue(res.headers['retry-after']), this.clock.now());
        const delay = nextDelay(this.policy, attempt, startedAt, this.clock, retryAfter);
        if (delay !== undefined) {
          retried = true;
          await this.sleep(delay, opts.signal);
          continue;
        }
      }
      throw statusError(op, this.target, res.status, res.body, {
        attempts: attempt + 1,
        afterRetry: retried && opts.retry === 'create',
      });
    }
  }

  private async sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.clock.sleep(ms, signal);
    } catch {
      throw new ClusterError('cancelled', 0, 'Aborted');
    }
  }

  private noteResponse(res: HttpResponse): void {
    if (res.headers[SANDBOX_HEADER] !== undefined) this.sandboxKnown = true;
  }

  /** The static table first; discovery (cached per group-version) for anything else. */
  private async resolve(ref: KindRef): Promise<ResourceInfo> {
    const known = staticResource(ref);
    if (known) return known;
    const gvPath = groupVersionPath(ref.apiVersion);
    let doc = this.discovery.get(gvPath);
    if (!doc) {
      const op: Operation = { verb: 'discover', kind: ref.kind, apiVersion: ref.apiVersion };
      doc = this.call(op, { method: 'GET', path: gvPath }, { retry: 'idempotent', allow404: true }).then(
        (res) => (res.status === 404 ? undefined : (JSON.parse(res.body) as unknown)),
      );
      this.discovery.set(gvPath, doc);
      doc.catch(() => this.discovery.delete(gvPath));
    }
    const found = resourceFromDiscovery(ref, await doc);
    if (!found) {
      const hint = ref.apiVersion.includes('istio.io') ? '; is Istio installed?' : '';
      throw new ClusterError(
        `the cluster does not serve ${ref.kind} (${ref.apiVersion})${hint}`,
        404,
        KIND_NOT_SERVED,
      );
    }
    return found;
  }

  private namespaceFor(info: ResourceInfo, namespace: string | undefined, allowAll = false): string {
    if (!info.namespaced) return '';
    if (namespace === '' && allowAll) return '';
    return namespace || this.defaultNamespace;
  }

  private op(
    verb: Operation['verb'],
    kind: KindRef,
    info: ResourceInfo,
    name: string | undefined,
    namespace: string,
  ): Operation {
    return {
      verb,
      kind: kind.kind,
      apiVersion: kind.apiVersion,
      info,
      name,
      namespace: namespace || undefined,
    };
  }
}

type WatchOutcome =
  | { kind: 'done'; rv: string }
  | { kind: 'relist'; rv: string }
  | { kind: 'ended'; rv: string }
  | { kind: 'failed'; rv: string; error: ClusterError; progressed: boolean; retryAfterMs?: number };

function isRetryableNetwork(err: TransportError): boolean {
  return [
    'ECONNRESET',
    'ECONNREFUSED',
    'ETIMEDOUT',
    'EPIPE',
    'ECONNABORTED',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'EAI_AGAIN',
  ].includes(err.code);
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function query(params: Record<string, string | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== '') parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function writeQuery(opts: WriteOptions): string {
  return query({
    fieldManager: FIELD_MANAGER,
    fieldValidation: 'Strict',
    dryRun: opts.dryRun ? 'All' : undefined,
  });
}

function parseObject(body: string, op: Operation, target: Target): KubeObject {
  try {
    return JSON.parse(body) as KubeObject;
  } catch {
    throw new ClusterError(
      `the cluster at ${target.server} answered ${op.verb} ${op.kind} with something that is not JSON`,
      0,
      'BadResponse',
    );
  }
}

function withKind(obj: KubeObject, ref: KindRef): KubeObject {
  if (obj.apiVersion && obj.kind) return obj;
  return { ...obj, apiVersion: obj.apiVersion || ref.apiVersion, kind: obj.kind || ref.kind };
}

function withNamespace(obj: KubeObject, namespace: string | undefined): KubeObject {
  if (namespace === undefined || obj.metadata.namespace === namespace) return obj;
  return { ...obj, metadata: { ...obj.metadata, namespace } };
}

/** The API server rejects an apply body that carries managedFields (400). */
function stripForApply(obj: KubeObject, namespace: string | undefined): KubeObject {
  const metadata = { ...obj.metadata };
  delete metadata.managedFields;
  return { ...obj, metadata: namespace === undefined ? metadata : { ...metadata, namespace } };
}
