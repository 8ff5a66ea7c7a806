import type { ResourceType } from './registry.js';
import { resourceKey } from './registry.js';
import { clone, type KObject } from './util.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  rv: number;
  resource: string;
  /** The object after the change (for DELETED: as it was, with the deletion's resourceVersion). */
  object: KObject;
  /** The object before the change, so watches with selectors can turn MODIFIED into ADDED/DELETED. */
  old?: KObject;
}

type Listener = (ev: StoreEvent) => void;

/** Makes a write durable before the store applies it; if it throws, the write does not happen. */
export type Commit = (ev: StoreEvent) => void;

/**
 * The sandbox's etcd: objects by resource/namespace/name, one global resourceVersion counter, and a
 * bounded event log so a watch can resume from a resourceVersion or learn it is too old (410).
 */
export class Store {
  private readonly objects = new Map<string, Map<string, KObject>>();
  private readonly log: StoreEvent[] = [];
  private readonly listeners = new Set<Listener>();
  /** Events at or below this resourceVersion have left the log; watching from before it is a 410. */
  private compactedRv = 0;
  private commit: Commit = () => undefined;

  constructor(
    private rv = 1,
    readonly logLimit = 1000,
  ) {}

  get resourceVersion(): number {
    return this.rv;
  }

  get oldestWatchableRv(): number {
    return this.compactedRv;
  }

  private bucket(resource: string): Map<string, KObject> {
    let b = this.objects.get(resource);
    if (!b) this.objects.set(resource, (b = new Map<string, KObject>()));
    return b;
  }

  get(rt: ResourceType | string, namespace: string | undefined, name: string): KObject | undefined {
    const o = this.bucket(typeof rt === 'string' ? rt : resourceKey(rt)).get(`${namespace ?? ''}/${name}`);
    return o ? clone(o) : undefined;
  }

  /** Objects sorted by namespace then name, as etcd's key order gives them. */
  list(rt: ResourceType | string, namespace?: string): KObject[] {
    const b = this.bucket(typeof rt === 'string' ? rt : resourceKey(rt));
    const keys = [...b.keys()].filter((k) => namespace === undefined || k.startsWith(`${namespace}/`)).sort();
    return keys.map((k) => clone(b.get(k)!));
  }

  /** Every stored object with its resource key, for persistence. */
  dump(): Array<{ resource: string; object: KObject }> {
    const out: Array<{ resource: string; object: KObject }> = [];
    for (const [resource, b] of [...this.objects.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      for (const k of [...b.keys()].sort()) out.push({ resource, object: clone(b.get(k)!) });
    }
    return out;
  }

  /** Loads objects as they were saved, without events (no watch can be open yet). */
  restore(resource: string, obj: KObject): void {
    this.bucket(resource).set(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`, clone(obj));
  }

  /** Creates or replaces; the caller has decided this is a real change. Returns the stored object. */
  put(rt: ResourceType | string, obj: KObject): KObject {
    const resource = typeof rt === 'string' ? rt : resourceKey(rt);
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const b = this.bucket(resource);
    const old = b.get(key);
    const stored = clone(obj);
    const rv = this.rv + 1;
    stored.metadata.resourceVersion = String(rv);
    const ev: StoreEvent = {
      type: old ? 'MODIFIED' : 'ADDED',
      rv,
      resource,
      object: clone(stored),
      old: old ? clone(old) : undefined,
    };
    this.commit(ev);
    this.rv = rv;
    b.set(key, stored);
    this.emit(ev);
    return clone(stored);
  }

  delete(rt: ResourceType | string, namespace: string | undefined, name: string): KObject | undefined {
    const resource = typeof rt === 'string' ? rt : resourceKey(rt);
    const key = `${namespace ?? ''}/${name}`;
    const b = this.bucket(resource);
    const old = b.get(key);
    if (!old) return undefined;
    const gone = clone(old);
    const rv = this.rv + 1;
    gone.metadata.resourceVersion = String(rv);
    const ev: StoreEvent = { type: 'DELETED', rv, resource, object: clone(gone), old: clone(old) };
    this.commit(ev);
    this.rv = rv;
    b.delete(key);
    this.emit(ev);
    return gone;
  }

  /**
   * Every later write goes through `commit` before it is applied, let alone seen by a watch or
   * answered: a write that is answered (or watched) is durable, as with etcd's WAL.
   */
  onCommit(commit: Commit): void {
    this.commit = commit;
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Events of a resource after `rv`, or undefined when the log no longer reaches back that far. */
  since(resource: string, rv: number): StoreEvent[] | undefined {
    if (rv < this.compactedRv) return undefined;
    return this.log.filter((e) => e.rv > rv && e.resource === resource);
  }

  /** Test hook: forget the whole history, so any watch from an old resourceVersion gets 410 Expired. */
  compact(): void {
    this.compactedRv = this.rv;
    this.log.length = 0;
  }

  private emit(ev: StoreEvent): void {
    this.log.push(ev);
    while (this.log.length > this.logLimit) this.compactedRv = this.log.shift()!.rv;
    for (const l of [...this.listeners]) l(ev);
  }
}
