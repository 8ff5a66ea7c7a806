import type { ResourceType } from './registry.js';
import { storageKey } from './registry.js';
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
  /** resource -> namespace ('' when cluster-scoped) -> name -> object: a lookup, a write or a
   * namespace's list touches only its own bucket, as an etcd range read does. */
  private readonly objects = new Map<string, Map<string, Map<string, KObject>>>();
  /** owner uid -> `resource\0namespace/name` of what names it in ownerReferences (the garbage
   * collector's graph): a Deployment's pods or a cascading delete without scanning every object. */
  private readonly owners = new Map<string, Set<string>>();
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

  private bucket(resource: string, namespace: string | undefined): Map<string, KObject> {
    let byNs = this.objects.get(resource);
    if (!byNs) this.objects.set(resource, (byNs = new Map<string, Map<string, KObject>>()));
    let b = byNs.get(namespace ?? '');
    if (!b) byNs.set(namespace ?? '', (b = new Map<string, KObject>()));
    return b;
  }

  get(rt: ResourceType | string, namespace: string | undefined, name: string): KObject | undefined {
    const o = this.bucket(typeof rt === 'string' ? rt : storageKey(rt), namespace).get(name);
    return o ? clone(o) : undefined;
  }

  /**
   * Objects sorted by namespace then name, as etcd's key order gives them; with `filter`, only the
   * ones it accepts (checked on the stored objects, so only what is returned is copied).
   */
  list(rt: ResourceType | string, namespace?: string, filter?: (o: KObject) => boolean): KObject[] {
    const byNs = this.objects.get(typeof rt === 'string' ? rt : storageKey(rt));
    if (!byNs) return [];
    const found: Array<[string, KObject]> = [];
    const scan = (ns: string, b: Map<string, KObject>) => {
      for (const [name, o] of b) if (!filter || filter(o)) found.push([`${ns}/${name}`, o]);
    };
    if (namespace !== undefined) {
      const b = byNs.get(namespace);
      if (b) scan(namespace, b);
    } else for (const [ns, b] of byNs) scan(ns, b);
    found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return found.map(([, o]) => clone(o));
  }

  /** How many objects of a resource are stored, without copying them. */
  count(rt: ResourceType | string): number {
    let n = 0;
    for (const b of this.objects.get(typeof rt === 'string' ? rt : storageKey(rt))?.values() ?? [])
      n += b.size;
    return n;
  }

  /** The objects of a resource (in one namespace, or all) whose ownerReferences name `uid`, in list order. */
  listOwned(rt: ResourceType | string, namespace: string | undefined, uid: string): KObject[] {
    const resource = typeof rt === 'string' ? rt : storageKey(rt);
    const found: Array<[string, KObject]> = [];
    for (const ref of this.owners.get(uid) ?? []) {
      const cut = ref.indexOf('\0');
      if (ref.slice(0, cut) !== resource) continue;
      const key = ref.slice(cut + 1);
      const slash = key.indexOf('/');
      const ns = key.slice(0, slash);
      if (namespace !== undefined && ns !== namespace) continue;
      const o = this.bucket(resource, ns).get(key.slice(slash + 1));
      if (o) found.push([key, o]);
    }
    found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return found.map(([, o]) => clone(o));
  }

  private index(resource: string, o: KObject, add: boolean): void {
    const ref = `${resource}\0${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    for (const owner of o.metadata.ownerReferences ?? []) {
      let refs = this.owners.get(owner.uid);
      if (add) {
        if (!refs) this.owners.set(owner.uid, (refs = new Set()));
        refs.add(ref);
      } else if (refs) {
        refs.delete(ref);
        if (refs.size === 0) this.owners.delete(owner.uid);
      }
    }
  }

  /** Every stored object with its resource key, for persistence. */
  dump(): Array<{ resource: string; object: KObject }> {
    const out: Array<{ resource: string; object: KObject }> = [];
    for (const resource of [...this.objects.keys()].sort((a, b) => a.localeCompare(b))) {
      for (const object of this.list(resource)) out.push({ resource, object });
    }
    return out;
  }

  /** Loads objects as they were saved, without events (no watch can be open yet). */
  restore(resource: string, obj: KObject): void {
    const b = this.bucket(resource, obj.metadata.namespace);
    const old = b.get(obj.metadata.name!);
    if (old) this.index(resource, old, false);
    const stored = clone(obj);
    b.set(obj.metadata.name!, stored);
    this.index(resource, stored, true);
  }

  /** Creates or replaces; the caller has decided this is a real change. Returns the stored object. */
  put(rt: ResourceType | string, obj: KObject): KObject {
    const resource = typeof rt === 'string' ? rt : storageKey(rt);
    const b = this.bucket(resource, obj.metadata.namespace);
    const name = obj.metadata.name!;
    const old = b.get(name);
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
    if (old) this.index(resource, old, false);
    b.set(name, stored);
    this.index(resource, stored, true);
    this.emit(ev);
    return clone(stored);
  }

  delete(rt: ResourceType | string, namespace: string | undefined, name: string): KObject | undefined {
    const resource = typeof rt === 'string' ? rt : storageKey(rt);
    const b = this.bucket(resource, namespace);
    const old = b.get(name);
    if (!old) return undefined;
    const gone = clone(old);
    const rv = this.rv + 1;
    gone.metadata.resourceVersion = String(rv);
    const ev: StoreEvent = { type: 'DELETED', rv, resource, object: clone(gone), old: clone(old) };
    this.commit(ev);
    this.rv = rv;
    b.delete(name);
    this.index(resource, old, false);
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
