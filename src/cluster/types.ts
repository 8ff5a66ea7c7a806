/**
 * The cluster as the engine sees it. `src/cluster/` is the only code that imports
 * @kubernetes/client-node; everything it returns is plain JSON, and every failure it throws is a
 * `ClusterError` already in the user's words (no headers, no bodies, no credentials).
 */

import type { KubeObject } from '../kube.js';

export type { KubeObject, ObjectMeta } from '../kube.js';

/** A kind, as apiVersion + kind (`apps/v1` + `Deployment`). */
export interface KindRef {
  apiVersion: string;
  kind: string;
}

export interface ObjectRef extends KindRef {
  namespace: string;
  name: string;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
}

export interface WriteOptions {
  /** dryRun=All: the server validates and answers, nothing is stored. */
  dryRun?: boolean;
}

export interface ApplyOptions extends WriteOptions {
  /** Take ownership of fields another manager holds (server-side apply `force=true`). */
  force?: boolean;
}

/** What `GET /version` answers (`gitVersion` such as `v1.32.0`, `major`, `minor`, `platform`, ...). */
export interface ServerVersion {
  gitVersion: string;
  [field: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WaitOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Give up after this many milliseconds with a ClusterError (reason `Timeout`). */
  timeoutMs: number;
  /**
   * Start watching from this resourceVersion (one the caller already holds, such as its own
   * write's) instead of listing first: the snapshot starts empty and `done` is first asked after
   * an event. A version the server no longer has (410) falls back to list, then watch.
   */
  resourceVersion?: string;
  signal?: AbortSignal;
}

/** A Service port reached through the API server's service proxy. */
export interface ServicePort {
  namespace: string;
  name: string;
  /** Port number or name. */
  port: number | string;
  scheme: 'http' | 'https';
}

/** An answer relayed by the service proxy: the backend's, or the API server's own Status. */
export interface ProxyResponse {
  status: number;
  body: string;
  contentType?: string;
}

export interface ClusterClient {
  /** The namespace of the kubeconfig context, or "default". */
  readonly defaultNamespace: string;
  /** Where the client points, for messages (`https://127.0.0.1:6443`, never with credentials). */
  readonly server: string;
  /** True when the server is vela-ts's own sandbox. */
  readonly isSandbox: boolean;

  /** The server's build, from `/version` (as `kubectl version` shows it). */
  serverVersion(): Promise<ServerVersion>;
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  list(kind: KindRef, namespace: string, opts?: { labelSelector?: string }): Promise<ListResult>;
  /** Server-side apply with field manager `vela-ts`. Creates or updates. */
  apply(obj: KubeObject, opts?: ApplyOptions): Promise<KubeObject>;
  /** Create; an existing object is a ClusterError with status 409, reason `AlreadyExists`. */
  create(obj: KubeObject, opts?: WriteOptions): Promise<KubeObject>;
  /** Update with optimistic concurrency (metadata.resourceVersion); stale is 409, reason `Conflict`. */
  replace(obj: KubeObject, opts?: WriteOptions): Promise<KubeObject>;
  /** Delete; resolves false when the object was already gone. */
  delete(ref: ObjectRef, opts?: WriteOptions): Promise<boolean>;
  /**
   * Lists, then watches, keeping a snapshot of the matching objects (keyed by name); resolves with
   * the snapshot as soon as `done(snapshot)` is true. A cut watch resumes from the last
   * resourceVersion and re-lists on 410. Reacts to events, never polls.
   */
  waitFor(
    kind: KindRef,
    namespace: string,
    done: (objects: ReadonlyMap<string, KubeObject>) => boolean,
    opts: WaitOptions,
  ): Promise<ReadonlyMap<string, KubeObject>>;
  /**
   * A GET through the API server's service proxy (`/api/v1/namespaces/<ns>/services/<svc>/proxy/…`),
   * with the kubeconfig's credentials: how a workstation reaches an in-cluster Prometheus. One
   * attempt, any HTTP status returned as it came; a connection that fails is a ClusterError.
   */
  proxyGet(
    service: ServicePort,
    pathAndQuery: string,
    opts?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<ProxyResponse>;
}
