import { createHash } from 'node:crypto';
import type { Api } from './api.js';
import type { Registry, ResourceType } from './registry.js';
import type { StoreEvent } from './store.js';
import {
  clone,
  deepEqual,
  isObj,
  randomSuffix,
  rfc3339,
  type Clock,
  type KObject,
  type Obj,
} from './util.js';

const MANAGER = 'kube-controller-manager';
const KUBELET = 'kubelet';
/**
 * The most Pods the sandbox simulates for one Deployment: a million replicas must not freeze it.
 * Past this, status tells the truth (replicas counts the Pods that exist) and a ReplicaFailure
 * condition says why, as a real Deployment says so when its ReplicaSet cannot create Pods.
 */
export const MAX_SIMULATED_PODS = 100;
/** Pods created per reconcile pass; the next pass comes after pending requests are answered. */
const CREATE_BURST = 20;

/**
 * A simulated kube-controller-manager and kubelet, enough for rollouts: Deployments get Pods
 * (owned directly by the Deployment: the sandbox has no ReplicaSets), Pods become ready
 * `readyDelayMs` after they are created unless their image contains `never-ready`, and
 * Deployment status follows the fields `kubectl rollout status` reads.
 */
export class Controller {
  private readonly deployments: ResourceType;
  private readonly pods: ResourceType;
  private readonly queue = new Set<string>();
  private flushing = false;
  private readonly podTimers = new Map<string, unknown>();
  private readonly deadlineTimers = new Map<string, unknown>();
  /** The pod template hash each Deployment had at its last reconcile: a new one is a new rollout. */
  private readonly templateHashes = new Map<string, string>();
  private unsubscribe?: () => void;
  private stopped = false;
  private podIp = 0;
  /** Pods whose ready delay has passed while readiness was held (a test hook). */
  private held: Set<string> | undefined;

  constructor(
    private readonly api: Api,
    registry: Registry,
    private readonly clock: Clock,
    private readonly readyDelayMs: number,
  ) {
    this.deployments = registry.byKind('apps', 'Deployment')!;
    this.pods = registry.byKind('', 'Pod')!;
  }

  start(): void {
    this.unsubscribe = this.api.store.subscribe((ev) => this.onEvent(ev));
    for (const p of this.api.store.list(this.pods)) this.schedulePod(p, true);
    for (const d of this.api.store.list(this.deployments))
      this.enqueue(d.metadata.namespace!, d.metadata.name!);
  }

  /**
   * Test hook: while held, no Pod becomes ready; on release the ones whose delay has passed do.
   * Lets a test stop a driver mid-step for exactly as long as it needs, without timing guesses.
   */
  holdReadiness(held: boolean): void {
    if (held) {
      this.held ??= new Set();
      return;
    }
    const due = this.held ?? new Set<string>();
    this.held = undefined;
    for (const key of due) {
      const [ns, name] = key.split('/') as [string, string];
      if (!this.stopped) this.startPod(ns, name);
    }
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    for (const t of [...this.podTimers.values(), ...this.deadlineTimers.values()]) this.clock.clearTimeout(t);
    this.podTimers.clear();
    this.deadlineTimers.clear();
  }

  private onEvent(ev: StoreEvent): void {
    if (ev.resource === 'deployments.apps') {
      this.enqueue(ev.object.metadata.namespace!, ev.object.metadata.name!);
    } else if (ev.resource === 'pods') {
      const key = `${ev.object.metadata.namespace}/${ev.object.metadata.name}`;
      if (ev.type === 'ADDED') this.schedulePod(ev.object, false);
      if (ev.type === 'DELETED') {
        const t = this.podTimers.get(key);
        if (t !== undefined) this.clock.clearTimeout(t);
        this.podTimers.delete(key);
      }
      for (const ref of ev.object.metadata.ownerReferences ?? []) {
        if (ref.kind === 'Deployment') this.enqueue(ev.object.metadata.namespace!, ref.name);
      }
    }
  }

  private enqueue(ns: string, name: string): void {
    this.queue.add(`${ns}/${name}`);
    if (this.flushing) return;
    this.flushing = true;
    // Reconcile after the write that triggered us has been answered, never inside it.
    setImmediate(() => {
      this.flushing = false;
      const keys = [...this.queue];
      this.queue.clear();
      for (const k of keys) {
        if (this.stopped) return;
        const [ns2, n2] = k.split('/') as [string, string];
        try {
          this.reconcile(ns2, n2);
        } catch {
          // A racing delete or namespace removal: the next event reconciles again.
        }
      }
    });
  }

  // ---------------------------------------------------------------- kubelet

  private schedulePod(pod: KObject, restored: boolean): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const status = isObj(pod.status) ? pod.status : {};
    if (status.phase === 'Running' || this.podTimers.has(key)) return;
    let delay = this.readyDelayMs;
    if (restored && pod.metadata.creationTimestamp) {
      delay = Math.max(0, Date.parse(pod.metadata.creationTimestamp) + this.readyDelayMs - this.clock.now());
    }
    this.podTimers.set(
      key,
      this.clock.setTimeout(() => {
        this.podTimers.delete(key);
        if (this.held) this.held.add(key);
        else if (!this.stopped) this.startPod(pod.metadata.namespace!, pod.metadata.name!);
      }, delay),
    );
  }

  private startPod(ns: string, name: string): void {
    const pod = this.api.store.get(this.pods, ns, name);
    if (!pod) return;
    const spec = isObj(pod.spec) ? pod.spec : {};
    const containers = (Array.isArray(spec.containers) ? spec.containers : []) as Obj[];
    const ready = !containers.some((c) => typeof c.image === 'string' && c.image.includes('never-ready'));
    const now = rfc3339(this.clock.now());
    const prev = isObj(pod.status) ? pod.status : {};
    const cond = (type: string, ok: boolean, reason?: string, message?: string): Obj => {
      const c: Obj = { type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: now };
      if (reason) c.reason = reason;
      if (message) c.message = message;
      return c;
    };
    const unready = ready
      ? undefined
      : `containers with unready status: [${containers.map((c) => String(c.name)).join(' ')}]`;
    const status: Obj = {
      ...prev,
      phase: 'Running',
      conditions: [
        cond('PodReadyToStartContainers', true),
        cond('Initialized', true),
        cond('Ready', ready, ready ? undefined : 'ContainersNotReady', unready),
        cond('ContainersReady', ready, ready ? undefined : 'ContainersNotReady', unready),
        cond('PodScheduled', true),
      ],
      startTime: prev.startTime ?? now,
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        containerID: `containerd://${createHash('sha256')
          .update(`${ns}/${name}/${String(c.name)}`)
          .digest('hex')}`,
        ready,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: now } },
      })),
    };
    this.api.systemWrite(this.pods, pod, { ...pod, status }, KUBELET, 'status');
  }

  // ---------------------------------------------------------------- deployment controller

  private reconcile(ns: string, name: string): void {
    const d = this.api.store.get(this.deployments, ns, name);
    if (!d || d.metadata.deletionTimestamp) return;
    const spec = isObj(d.spec) ? d.spec : {};
    const template = isObj(spec.template) ? spec.template : {};
    const hash = templateHash(template);
    const rsName = `${name}-${hash}`;
    const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const owned = () => (d.metadata.uid ? this.api.store.listOwned(this.pods, ns, d.metadata.uid) : []);

    if (!spec.paused) {
      let pods = owned();
      const current = pods.filter((p) => p.metadata.labels?.['pod-template-hash'] === hash);
      // Each created Pod's event enqueues the Deployment again, so creation goes on in later passes.
      const wanted = Math.min(desired, MAX_SIMULATED_PODS);
      for (let i = current.length; i < Math.min(wanted, current.length + CREATE_BURST); i++)
        this.createPod(d, template, hash, rsName);
      if (current.length > desired) {
        // Scale down removes unready pods first, then the newest, as the ReplicaSet controller does.
        const victims = [...current]
          .sort((a, b) => Number(isReady(a)) - Number(isReady(b)) || cmpDesc(a, b))
          .slice(0, current.length - desired);
        for (const v of victims) this.api.store.delete(this.pods, ns, v.metadata.name!);
      }
      pods = owned();
      const readyCurrent = pods.filter(
        (p) => p.metadata.labels?.['pod-template-hash'] === hash && isReady(p),
      ).length;
      // Old-template pods go once the new ones can carry the load (a surge-everything rolling update).
      if (readyCurrent >= desired) {
        for (const p of pods)
          if (p.metadata.labels?.['pod-template-hash'] !== hash)
            this.api.store.delete(this.pods, ns, p.metadata.name!);
      }
    }

    const pods = owned();
    const updated = pods.filter((p) => p.metadata.labels?.['pod-template-hash'] === hash);
    const replicas = pods.length;
    const ready = pods.filter(isReady).length;
    const available = ready;
    const prev = isObj(d.status) ? d.status : {};
    const now = this.clock.now();
    const nowStr = rfc3339(now);
    const counts: Obj = {};
    if (replicas) counts.replicas = replicas;
    if (updated.length) counts.updatedReplicas = updated.length;
    if (ready) counts.readyReplicas = ready;
    if (available) counts.availableReplicas = available;
    const unavailable = Math.max(0, Math.max(desired, replicas) - available);
    if (unavailable) counts.unavailableReplicas = unavailable;
    const progressed =
      ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'].some(
        (k) => prev[k] !== counts[k],
      ) || prev.observedGeneration !== d.metadata.generation;

    const maxUnavailable = resolveIntOrPercent(
      getIn(spec, 'strategy', 'rollingUpdate', 'maxUnavailable'),
      desired,
      false,
    );
    const complete = updated.length === desired && replicas === desired && available === desired;
    const prevConds = (Array.isArray(prev.conditions) ? prev.conditions : []) as Obj[];
    const prevProg = prevConds.find((c) => c.type === 'Progressing');
    const lastProgress =
      progressed || !prevProg
        ? now
        : Date.parse(typeof prevProg.lastUpdateTime === 'string' ? prevProg.lastUpdateTime : nowStr);
    const deadlineMs =
      (typeof spec.progressDeadlineSeconds === 'number' ? spec.progressDeadlineSeconds : 600) * 1000;

    // Once timed out, a real controller keeps Progressing=False/ProgressDeadlineExceeded until the
    // rollout makes progress again (deployment util DeploymentTimedOut, DeploymentProgressing): more
    // updated, ready or available replicas, fewer old ones, or a new template (a new ReplicaSet).
    const key = `${ns}/${name}`;
    const knownHash = this.templateHashes.get(key);
    this.templateHashes.set(key, hash);
    const count = (o: Obj, k: string) => (typeof o[k] === 'number' ? o[k] : 0);
    const resumed =
      (knownHash !== undefined && knownHash !== hash) ||
      count(counts, 'updatedReplicas') > count(prev, 'updatedReplicas') ||
      count(counts, 'replicas') - count(counts, 'updatedReplicas') <
        count(prev, 'replicas') - count(prev, 'updatedReplicas') ||
      count(counts, 'readyReplicas') > count(prev, 'readyReplicas') ||
      count(counts, 'availableReplicas') > count(prev, 'availableReplicas');
    const timedOut = prevProg?.reason === 'ProgressDeadlineExceeded' && !resumed;

    let progressing: [string, string, string];
    if (complete)
      progressing = ['True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`];
    else if (timedOut)
      progressing = [
        'False',
        'ProgressDeadlineExceeded',
        `ReplicaSet "${rsName}" has timed out progressing.`,
      ];
    else if (now - lastProgress >= deadlineMs)
      progressing = [
        'False',
        'ProgressDeadlineExceeded',
        `ReplicaSet "${rsName}" has timed out progressing.`,
      ];
    else progressing = ['True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`];

    const conditions = [
      condition(
        prevConds,
        'Available',
        available >= desired - maxUnavailable
          ? ['True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.']
          : ['False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'],
        nowStr,
        false,
      ),
      // An unchanged timed-out condition keeps its times, as SetDeploymentCondition leaves it.
      condition(prevConds, 'Progressing', progressing, nowStr, progressed && !timedOut),
    ];
    if (desired > MAX_SIMULATED_PODS)
      conditions.push(
        condition(
          prevConds,
          'ReplicaFailure',
          [
            'True',
            'FailedCreate',
            `sandbox: at most ${MAX_SIMULATED_PODS} pods are simulated per Deployment; spec.replicas is ${desired}`,
          ],
          nowStr,
          false,
        ),
      );
    const status: Obj = { observedGeneration: d.metadata.generation ?? 1, ...counts, conditions };
    if (!deepEqual(status, prev))
      this.api.systemWrite(this.deployments, d, { ...d, status }, MANAGER, 'status');

    const t = this.deadlineTimers.get(key);
    if (t !== undefined) this.clock.clearTimeout(t);
    this.deadlineTimers.delete(key);
    if (!complete && progressing[1] !== 'ProgressDeadlineExceeded') {
      const wait = Math.max(0, lastProgress + deadlineMs - now) + 1;
      this.deadlineTimers.set(
        key,
        this.clock.setTimeout(() => this.enqueue(ns, name), wait),
      );
    }
  }

  private createPod(d: KObject, template: Obj, hash: string, rsName: string): void {
    const tm = isObj(template.metadata) ? template.metadata : {};
    const ip = ++this.podIp;
    const now = rfc3339(this.clock.now());
    const pod: KObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${rsName}-${randomSuffix()}`,
        generateName: `${rsName}-`,
        namespace: d.metadata.namespace,
        labels: { ...((tm.labels as Record<string, string>) ?? {}), 'pod-template-hash': hash },
        ...(isObj(tm.annotations) ? { annotations: clone(tm.annotations as Record<string, string>) } : {}),
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: d.metadata.name!,
            uid: d.metadata.uid!,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { ...clone((template.spec as Obj) ?? {}), nodeName: 'sandbox-node' },
      status: {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now }],
        hostIP: '10.0.0.1',
        hostIPs: [{ ip: '10.0.0.1' }],
        podIP: `10.244.${Math.floor(ip / 250) % 250}.${(ip % 250) + 2}`,
        podIPs: [{ ip: `10.244.${Math.floor(ip / 250) % 250}.${(ip % 250) + 2}` }],
        qosClass: 'BestEffort',
      },
    };
    this.api.systemWrite(this.pods, undefined, pod, MANAGER);
  }
}

function condition(
  prev: Obj[],
  type: string,
  [status, reason, message]: [string, string, string],
  now: string,
  touched: boolean,
): Obj {
  const old = prev.find((c) => c.type === type);
  const same = old && old.status === status && old.reason === reason && old.message === message;
  return {
    type,
    status,
    lastUpdateTime: same && !touched ? old.lastUpdateTime : now,
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now,
    reason,
    message,
  };
}

export function isReady(p: KObject): boolean {
  const conds = isObj(p.status) && Array.isArray(p.status.conditions) ? (p.status.conditions as Obj[]) : [];
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

function cmpDesc(a: KObject, b: KObject): number {
  return (
    String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)) ||
    String(b.metadata.name).localeCompare(String(a.metadata.name))
  );
}

function getIn(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const p of path) cur = isObj(cur) ? cur[p] : undefined;
  return cur;
}

function resolveIntOrPercent(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.endsWith('%')) {
    const x = (Number(v.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  return 0;
}

/** A stable short hash of the pod template, like the pod-template-hash label (10 chars, no vowels). */
export function templateHash(template: Obj): string {
  const h = createHash('sha256').update(stableJson(template)).digest();
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < 10; i++) out += alphabet[h[i]! % alphabet.length];
  return out;
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (isObj(v)) {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
