import type { Api } from './api.js';
import type { Registry, ResourceType } from './registry.js';
import { isObj, rfc3339, type Clock, type KObject } from './util.js';

/** The apiserver's default --event-ttl: an Event is removed this long after its last update. */
export const DEFAULT_EVENT_TTL_MS = 60 * 60 * 1000;
/**
 * At most this many Events are kept in the whole sandbox (the oldest go first): the TTL alone would
 * let a busy sandbox grow its state file for an hour; a real cluster bounds them by etcd's size.
 */
export const MAX_EVENTS = 1000;
/**
 * Past the cap the oldest go down to this many, so the full sweep (a sorted copy of every Event)
 * runs once every hundred Events, not at every one (which made `up` of 1,000 components quadratic).
 */
export const EVENTS_AFTER_TRIM = MAX_EVENTS - MAX_EVENTS / 10;
/** How often (on the sandbox's clock) expired Events are swept, at most. */
const SWEEP_EVERY_MS = 60 * 1000;

/**
 * client-go's legacy event recorder as kube-controller-manager uses it: core/v1 Events named
 * `<object>.<unix nanos in hex>`, an identical event (same object, reason, message, source) raises
 * the count and lastTimestamp of the one already recorded (the EventCorrelator's aggregation).
 */
export class EventRecorder {
  private readonly events: ResourceType;
  private lastSweep = Number.NEGATIVE_INFINITY;
  private seq = 0;
  /** The sweep due when the oldest Event expires, so an idle sandbox loses them on time too. */
  private timer: unknown;

  constructor(
    private readonly api: Api,
    registry: Registry,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {
    this.events = registry.byKind('', 'Event')!;
  }

  record(involved: KObject, reason: string, message: string, component: string, type = 'Normal'): void {
    const now = this.clock.now();
    this.sweep(now);
    const ns = involved.metadata.namespace ?? 'default';
    const ref = {
      apiVersion: involved.apiVersion,
      kind: involved.kind,
      name: involved.metadata.name,
      namespace: ns,
      uid: involved.metadata.uid,
      resourceVersion: involved.metadata.resourceVersion,
    };
    const same = this.api.store.list(this.events, ns, (e) => {
      const io = isObj(e.involvedObject) ? e.involvedObject : {};
      const src = isObj(e.source) ? e.source : {};
      return (
        io.uid === ref.uid &&
        io.kind === ref.kind &&
        e.reason === reason &&
        e.message === message &&
        e.type === type &&
        src.component === component
      );
    })[0];
    const stamp = rfc3339(now);
    if (same) {
      const count = typeof same.count === 'number' ? same.count : 1;
      this.api.systemWrite(this.events, same, { ...same, count: count + 1, lastTimestamp: stamp }, component);
      return;
    }
    const nanos = BigInt(now) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    const event: KObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${involved.metadata.name}.${nanos.toString(16)}`, namespace: ns },
      involvedObject: ref,
      reason,
      message,
      source: { component },
      firstTimestamp: stamp,
      lastTimestamp: stamp,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: '',
    };
    this.api.systemWrite(this.events, undefined, event, component);
    if (this.timer === undefined) this.schedule(this.ttlMs);
  }

  /** Removes Events past their TTL, then, at MAX_EVENTS or more, the oldest down to EVENTS_AFTER_TRIM. */
  sweep(now: number, force = false): void {
    if (!force && now - this.lastSweep < SWEEP_EVERY_MS && this.api.store.count(this.events) < MAX_EVENTS)
      return;
    this.lastSweep = now;
    const all = this.api.store.list(this.events);
    const last = (e: KObject) =>
      Date.parse(
        typeof e.lastTimestamp === 'string' ? e.lastTimestamp : (e.metadata.creationTimestamp ?? ''),
      );
    const kept: KObject[] = [];
    for (const e of all) {
      if (now - last(e) >= this.ttlMs)
        this.api.store.delete(this.events, e.metadata.namespace, e.metadata.name!);
      else kept.push(e);
    }
    kept.sort((a, b) => last(a) - last(b));
    if (kept.length >= MAX_EVENTS)
      for (const e of kept.splice(0, kept.length - EVENTS_AFTER_TRIM))
        this.api.store.delete(this.events, e.metadata.namespace, e.metadata.name!);
    this.schedule(kept.length ? last(kept[0]!) + this.ttlMs - now : undefined);
  }

  stop(): void {
    this.schedule(undefined);
  }

  private schedule(inMs: number | undefined): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (inMs === undefined || !Number.isFinite(inMs)) return;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.sweep(this.clock.now(), true);
      },
      Math.max(0, inMs),
    );
  }
}
