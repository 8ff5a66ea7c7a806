import { createHash } from 'node:crypto';
import type { Api } from './api.js';
import type { Registry, ResourceType } from './registry.js';
import { EventRecorder } from './events.js';
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
const DEPLOYMENT_CONTROLLER = 'deployment-controller';
const REPLICASET_CONTROLLER = 'replicaset-controller';
const HASH_LABEL = 'pod-template-hash';
const REVISION = 'deployment.kubernetes.io/revision';
const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
/** Deployment annotations the controller does not copy to its ReplicaSets (deployment util annotationsToSkip). */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);
/**
 * The most Pods the sandbox simulates for one Deployment: a million replicas must not freeze it.
 * Past this, status tells the truth (replicas counts the Pods that exist) and a ReplicaFailure
 * condition says why, as a real Deployment says so when its ReplicaSet cannot create Pods.
 */
export const MAX_SIMULATED_PODS = 100;
/** Pods created per reconcile pass; the next pass comes after pending requests are answered. */
const CREATE_BURST = 20;
/** Pods without spec.terminationGracePeriodSeconds get the API default. */
const DEFAULT_GRACE_SECONDS = 30;

export interface ControllerOptions {
  /** Milliseconds from a Pod's creation until it is Ready. */
  readyDelayMs: number;
  /**
   * Milliseconds a deleted Pod stays Terminating before the simulated kubelet removes it (its
   * containers "exit" this long after SIGTERM; deletionGracePeriodSeconds still says the real period).
   */
  terminationGraceMs: number;
  /** How long an Event lives after its last update (the apiserver's --event-ttl). */
  eventTtlMs: number;
}

/**
 * A simulated kube-controller-manager and kubelet, enough for rollouts and for kubectl's rollout
 * commands: the deployment controller keeps one ReplicaSet per pod template (named by its
 * pod-template-hash, numbered by the revision annotation) and rolls from the old ones to the new one
 * within maxSurge/maxUnavailable (or Recreate); the ReplicaSet controller keeps its Pods; a deleted
 * Pod terminates for `terminationGraceMs`; Pods become ready `readyDelayMs` after they are created
 * unless their image contains `never-ready`. Each writes the Events its real counterpart writes.
 */
export class Controller {
  private readonly deployments: ResourceType;
  private readonly replicaSets: ResourceType;
  private readonly pods: ResourceType;
  private readonly events: EventRecorder;
  private readonly queue = new Set<string>();
  private flushing = false;
  private readonly podTimers = new Map<string, unknown>();
  private readonly terminationTimers = new Map<string, unknown>();
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
    private readonly opts: ControllerOptions,
  ) {
    this.deployments = registry.byKind('apps', 'Deployment')!;
    this.replicaSets = registry.byKind('apps', 'ReplicaSet')!;
    this.pods = registry.byKind('', 'Pod')!;
    this.events = new EventRecorder(api, registry, clock, opts.eventTtlMs);
  }

  start(): void {
    this.api.terminatePod = (pod, grace) => this.terminate(pod, grace);
    this.unsubscribe = this.api.store.subscribe((ev) => this.onEvent(ev));
    this.events.sweep(this.clock.now(), true);
    for (const p of this.api.store.list(this.pods)) {
      if (p.metadata.deletionTimestamp) this.scheduleRemoval(p);
      else this.schedulePod(p, true);
    }
    for (const rs of this.api.store.list(this.replicaSets))
      this.enqueue('rs', rs.metadata.namespace!, rs.metadata.name!);
    for (const d of this.api.store.list(this.deployments))
      this.enqueue('deploy', d.metadata.namespace!, d.metadata.name!);
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
    this.api.terminatePod = undefined;
    this.events.stop();
    for (const t of [
      ...this.podTimers.values(),
      ...this.deadlineTimers.values(),
      ...this.terminationTimers.values(),
    ])
      this.clock.clearTimeout(t);
    this.podTimers.clear();
    this.deadlineTimers.clear();
    this.terminationTimers.clear();
  }

  private onEvent(ev: StoreEvent): void {
    const { namespace, name, ownerReferences } = ev.object.metadata;
    const owner = ownerReferences?.find((r) => r.controller);
    if (ev.resource === 'deployments.apps') {
      this.enqueue('deploy', namespace!, name!);
    } else if (ev.resource === 'replicasets.apps') {
      this.enqueue('rs', namespace!, name!);
      if (owner?.kind === 'Deployment') this.enqueue('deploy', namespace!, owner.name);
    } else if (ev.resource === 'pods') {
      const key = `${namespace}/${name}`;
      if (ev.type === 'ADDED') this.schedulePod(ev.object, false);
      if (ev.type === 'DELETED') {
        for (const timers of [this.podTimers, this.terminationTimers]) {
          const t = timers.get(key);
          if (t !== undefined) this.clock.clearTimeout(t);
          timers.delete(key);
        }
      }
      if (owner?.kind === 'ReplicaSet') {
        this.enqueue('rs', namespace!, owner.name);
        // A Pod gone changes no ReplicaSet status when it was already terminating, yet a Recreate
        // waits for exactly that (the deployment controller's deletePod handler).
        if (ev.type === 'DELETED') {
          const rs = this.api.store.get(this.replicaSets, namespace, owner.name);
          const d = rs?.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Deployment');
          if (d) this.enqueue('deploy', namespace!, d.name);
        }
      }
    }
  }

  private enqueue(kind: 'deploy' | 'rs', ns: string, name: string): void {
    this.queue.add(`${kind}/${ns}/${name}`);
    if (this.flushing) return;
    this.flushing = true;
    // Reconcile after the write that triggered us has been answered, never inside it.
    setImmediate(() => {
      this.flushing = false;
      const keys = [...this.queue];
      this.queue.clear();
      for (const k of keys) {
        if (this.stopped) return;
        const [kind2, ns2, n2] = k.split('/') as ['deploy' | 'rs', string, string];
        try {
          if (kind2 === 'rs') this.syncReplicaSet(ns2, n2);
          else this.syncDeployment(ns2, n2);
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
    if (status.phase === 'Running' || this.podTimers.has(key) || pod.metadata.deletionTimestamp) return;
    let delay = this.opts.readyDelayMs;
    if (restored && pod.metadata.creationTimestamp) {
      delay = Math.max(
        0,
        Date.parse(pod.metadata.creationTimestamp) + this.opts.readyDelayMs - this.clock.now(),
      );
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
    if (!pod || pod.metadata.deletionTimestamp) return;
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

  /**
   * A graceful delete, as the apiserver does it for a Pod: the object stays, with deletionTimestamp
   * and deletionGracePeriodSeconds, until the kubelet has stopped it; a grace period of 0 removes it
   * at once. Returns the object as the delete answers it.
   */
  private terminate(pod: KObject, graceSeconds: number | undefined): KObject {
    const ns = pod.metadata.namespace!;
    const name = pod.metadata.name!;
    const spec = isObj(pod.spec) ? pod.spec : {};
    const period =
      graceSeconds ??
      (typeof spec.terminationGracePeriodSeconds === 'number'
        ? spec.terminationGracePeriodSeconds
        : DEFAULT_GRACE_SECONDS);
    const current = this.api.store.get(this.pods, ns, name) ?? pod;
    if (period <= 0) return this.api.store.delete(this.pods, ns, name) ?? current;
    // A second delete may shorten the grace period, never lengthen it (the apiserver's rule).
    const was = current.metadata.deletionGracePeriodSeconds;
    if (current.metadata.deletionTimestamp && (was === undefined || was <= period)) return current;
    const marked = clone(current);
    marked.metadata.deletionTimestamp ??= rfc3339(this.clock.now());
    marked.metadata.deletionGracePeriodSeconds = period;
    const stored = this.api.store.put(this.pods, marked);
    this.scheduleRemoval(stored);
    return stored;
  }

  private scheduleRemoval(pod: KObject): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const old = this.terminationTimers.get(key);
    if (old !== undefined) this.clock.clearTimeout(old);
    const since = Date.parse(pod.metadata.deletionTimestamp ?? rfc3339(this.clock.now()));
    const grace = Math.min(
      this.opts.terminationGraceMs,
      (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000,
    );
    const wait = Math.max(0, since + grace - this.clock.now());
    this.terminationTimers.set(
      key,
      this.clock.setTimeout(() => {
        this.terminationTimers.delete(key);
        if (this.stopped) return;
        const live = this.api.store.get(this.pods, pod.metadata.namespace, pod.metadata.name!);
        if (live?.metadata.uid === pod.metadata.uid)
          this.api.store.delete(this.pods, pod.metadata.namespace, pod.metadata.name!);
      }, wait),
    );
  }

  // ---------------------------------------------------------------- replicaset controller

  private ownedBy(rt: ResourceType, ns: string, owner: KObject): KObject[] {
    const uid = owner.metadata.uid;
    if (!uid) return [];
    return this.api.store
      .listOwned(rt, ns, uid)
      .filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === uid && r.controller));
  }

  private syncReplicaSet(ns: string, name: string): void {
    const rs = this.api.store.get(this.replicaSets, ns, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const spec = isObj(rs.spec) ? rs.spec : {};
    const template = isObj(spec.template) ? spec.template : {};
    const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const active = () => this.ownedBy(this.pods, ns, rs).filter(isActive);

    let pods = active();
    // Each created Pod's event enqueues the ReplicaSet again, so creation goes on in later passes.
    const wanted = Math.min(desired, MAX_SIMULATED_PODS);
    for (let i = pods.length; i < Math.min(wanted, pods.length + CREATE_BURST); i++) {
      const pod = this.createPod(rs, template);
      this.events.record(rs, 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, REPLICASET_CONTROLLER);
    }
    if (pods.length > desired) {
      // getPodsToDelete: not ready before ready, then the newest first (controller.ActivePods ranking).
      const victims = [...pods]
        .sort((a, b) => Number(isReady(a)) - Number(isReady(b)) || cmpDesc(a, b))
        .slice(0, pods.length - desired);
      for (const v of victims) {
        this.terminate(v, undefined);
        this.events.record(rs, 'SuccessfulDelete', `Deleted pod: ${v.metadata.name}`, REPLICASET_CONTROLLER);
      }
    }

    pods = active();
    const labels =
      isObj(template.metadata) && isObj(template.metadata.labels) ? template.metadata.labels : {};
    const ready = pods.filter(isReady).length;
    const status: Obj = {
      replicas: pods.length,
      ...(pods.length ? { fullyLabeledReplicas: pods.filter((p) => hasLabels(p, labels)).length } : {}),
      ...(ready ? { readyReplicas: ready, availableReplicas: ready } : {}),
      observedGeneration: rs.metadata.generation ?? 1,
    };
    const prev = isObj(rs.status) ? rs.status : {};
    const prevConds = (Array.isArray(prev.conditions) ? prev.conditions : []) as Obj[];
    if (desired > MAX_SIMULATED_PODS)
      status.conditions = [replicaFailure(prevConds, desired, rfc3339(this.clock.now()))];
    const fresh = this.api.store.get(this.replicaSets, ns, name);
    if (fresh && !deepEqual(status, fresh.status))
      this.api.systemWrite(this.replicaSets, fresh, { ...fresh, status }, MANAGER, 'status');
  }

  private createPod(rs: KObject, template: Obj): KObject {
    const tm = isObj(template.metadata) ? template.metadata : {};
    const ip = ++this.podIp;
    const now = rfc3339(this.clock.now());
    const pod: KObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${rs.metadata.name}-${randomSuffix()}`,
        generateName: `${rs.metadata.name}-`,
        namespace: rs.metadata.namespace,
        labels: { ...((tm.labels as Record<string, string>) ?? {}) },
        ...(isObj(tm.annotations) ? { annotations: clone(tm.annotations as Record<string, string>) } : {}),
        ownerReferences: [controllerRef(rs)],
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
    return this.api.systemWrite(this.pods, undefined, pod, MANAGER);
  }

  // ---------------------------------------------------------------- deployment controller

  /** Sets a ReplicaSet's replicas (and the annotations that record the Deployment's size), with its event. */
  private scaleReplicaSet(d: KObject, rs: KObject, to: number, maxSurge: number): KObject {
    const from = replicasOf(rs);
    const desired = replicasOf(d);
    const annotations = {
      ...(rs.metadata.annotations ?? {}),
      [DESIRED]: String(desired),
      [MAX_REPLICAS]: String(desired + maxSurge),
    };
    if (from === to && deepEqual(annotations, rs.metadata.annotations ?? {})) return rs;
    const next = clone(rs);
    next.metadata.annotations = annotations;
    (next.spec as Obj).replicas = to;
    const stored = this.api.systemWrite(this.replicaSets, rs, next, MANAGER);
    if (from !== to)
      this.events.record(
        d,
        'ScalingReplicaSet',
        `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${to}`,
        DEPLOYMENT_CONTROLLER,
      );
    return stored;
  }

  private syncDeployment(ns: string, name: string): void {
    let d = this.api.store.get(this.deployments, ns, name);
    if (!d || d.metadata.deletionTimestamp) return;
    const spec = isObj(d.spec) ? d.spec : {};
    const template = isObj(spec.template) ? spec.template : {};
    const hash = templateHash(template);
    const desired = replicasOf(d);
    const recreate = getIn(spec, 'strategy', 'type') === 'Recreate';
    const [maxSurge, maxUnavailable] = recreate
      ? [0, 0]
      : fenceposts(
          getIn(spec, 'strategy', 'rollingUpdate', 'maxSurge') ?? '25%',
          getIn(spec, 'strategy', 'rollingUpdate', 'maxUnavailable') ?? '25%',
          desired,
        );

    let all = this.ownedBy(this.replicaSets, ns, d);
    let newRS = all.find((rs) => sameTemplate(rs, template));
    const oldOf = () => all.filter((rs) => rs.metadata.uid !== newRS?.metadata.uid);
    const maxOldRevision = Math.max(0, ...oldOf().map(revisionOf));
    const newRevision = String(maxOldRevision + 1);
    const prevStatus = isObj(d.status) ? d.status : {};
    let progressingNote: [string, string] | undefined;

    // getNewReplicaSet: the new ReplicaSet carries the next revision; an old template brought back
    // (rollout undo) is its old ReplicaSet, renumbered, its former number kept in revision-history.
    if (
      newRS &&
      (newRS.metadata.annotations?.[REVISION] ?? '') !== newRevision &&
      revisionOf(newRS) <= maxOldRevision
    ) {
      const next = clone(newRS);
      const was = newRS.metadata.annotations?.[REVISION];
      const history = newRS.metadata.annotations?.[REVISION_HISTORY];
      next.metadata.annotations = {
        ...copiedAnnotations(d),
        ...Object.fromEntries(
          Object.entries(newRS.metadata.annotations ?? {}).filter(([k]) => NOT_COPIED.has(k)),
        ),
        [REVISION]: newRevision,
        ...(was ? { [REVISION_HISTORY]: history ? `${history},${was}` : was } : {}),
      };
      newRS = this.api.systemWrite(this.replicaSets, newRS, next, MANAGER);
      all = all.map((rs) => (rs.metadata.uid === newRS!.metadata.uid ? newRS! : rs));
      const prevConds = (Array.isArray(prevStatus.conditions) ? prevStatus.conditions : []) as Obj[];
      if (!prevConds.some((c) => c.type === 'Progressing'))
        progressingNote = ['FoundNewReplicaSet', `Found new replica set "${newRS.metadata.name}"`];
    }
    const oldRSs = oldOf();
    const oldPodsRunning = () =>
      oldRSs.some((rs) => this.ownedBy(this.pods, ns, rs).some((p) => !isFinished(p)));

    if (!spec.paused) {
      if (recreate) {
        for (const rs of oldRSs) if (replicasOf(rs) !== 0) this.scaleReplicaSet(d, rs, 0, 0);
        if (!oldPodsRunning()) {
          if (!newRS) {
            newRS = this.createReplicaSet(d, template, hash, newRevision, desired, 0);
            progressingNote = ['NewReplicaSetCreated', `Created new replica set "${newRS.metadata.name}"`];
          } else if (replicasOf(newRS) !== desired) newRS = this.scaleReplicaSet(d, newRS, desired, 0);
        }
      } else {
        const total = () => [...oldRSs, ...(newRS ? [newRS] : [])].reduce((n, rs) => n + replicasOf(rs), 0);
        // NewRSNewReplicas: up to replicas + maxSurge Pods in all, never past the Deployment's size.
        const scaleUpTo = (current: number) => {
          const room = desired + maxSurge - total();
          return room <= 0 ? current : current + Math.min(room, desired - current);
        };
        if (!newRS) {
          newRS = this.createReplicaSet(
            d,
            template,
            hash,
            newRevision,
            oldRSs.length ? scaleUpTo(0) : desired,
            maxSurge,
          );
          progressingNote = ['NewReplicaSetCreated', `Created new replica set "${newRS.metadata.name}"`];
        } else if (replicasOf(newRS) > desired) newRS = this.scaleReplicaSet(d, newRS, desired, maxSurge);
        else if (replicasOf(newRS) < desired)
          newRS = this.scaleReplicaSet(d, newRS, scaleUpTo(replicasOf(newRS)), maxSurge);
        else newRS = this.scaleReplicaSet(d, newRS, desired, maxSurge);
        this.scaleDownOld(d, newRS, oldRSs, desired, maxSurge, maxUnavailable);
      }
    } else if (newRS && oldRSs.every((rs) => replicasOf(rs) === 0) && replicasOf(newRS) !== desired) {
      // Paused: scaling still happens, a rollout does not.
      newRS = this.scaleReplicaSet(d, newRS, desired, maxSurge);
    }

    // The Deployment's revision annotation follows its new ReplicaSet's.
    d = this.api.store.get(this.deployments, ns, name);
    if (!d) return;
    const rev = newRS?.metadata.annotations?.[REVISION];
    if (rev && d.metadata.annotations?.[REVISION] !== rev) {
      const next = clone(d);
      next.metadata.annotations = { ...(d.metadata.annotations ?? {}), [REVISION]: rev };
      d = this.api.systemWrite(this.deployments, d, next, MANAGER);
    }

    all = this.ownedBy(this.replicaSets, ns, d);
    newRS = all.find((rs) => sameTemplate(rs, template));
    this.writeStatus(d, all, newRS, desired, maxUnavailable, hash, progressingNote);

    const status = isObj(d.status) ? d.status : {};
    if (isComplete(d, status, desired))
      this.cleanup(
        d,
        all.filter((rs) => rs !== newRS),
      );
  }

  private createReplicaSet(
    d: KObject,
    template: Obj,
    hash: string,
    revision: string,
    replicas: number,
    maxSurge: number,
  ): KObject {
    const spec = isObj(d.spec) ? d.spec : {};
    const tm = isObj(template.metadata) ? template.metadata : {};
    const labels = { ...((tm.labels as Record<string, string>) ?? {}), [HASH_LABEL]: hash };
    const selector = clone(isObj(spec.selector) ? spec.selector : {});
    selector.matchLabels = {
      ...(isObj(selector.matchLabels) ? selector.matchLabels : {}),
      [HASH_LABEL]: hash,
    };
    const desired = replicasOf(d);
    const rs: KObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels,
        annotations: {
          ...copiedAnnotations(d),
          [DESIRED]: String(desired),
          [MAX_REPLICAS]: String(desired + maxSurge),
          [REVISION]: revision,
        },
        ownerReferences: [controllerRef(d)],
      },
      spec: {
        replicas,
        ...(typeof spec.minReadySeconds === 'number' ? { minReadySeconds: spec.minReadySeconds } : {}),
        selector,
        template: { ...clone(template), metadata: { ...clone(tm), labels } },
      },
      status: { replicas: 0 },
    };
    const stored = this.api.systemWrite(this.replicaSets, undefined, rs, MANAGER);
    this.events.record(
      d,
      'ScalingReplicaSet',
      `Scaled up replica set ${stored.metadata.name} from 0 to ${replicas}`,
      DEPLOYMENT_CONTROLLER,
    );
    return stored;
  }

  /** reconcileOldReplicaSets: old Pods go as far as maxUnavailable allows, unhealthy ones first. */
  private scaleDownOld(
    d: KObject,
    newRS: KObject,
    oldRSs: KObject[],
    desired: number,
    maxSurge: number,
    maxUnavailable: number,
  ): void {
    let olds = oldRSs.map(
      (rs) => this.api.store.get(this.replicaSets, rs.metadata.namespace, rs.metadata.name!) ?? rs,
    );
    if (olds.reduce((n, rs) => n + replicasOf(rs), 0) === 0) return;
    const all = () => [...olds, newRS].reduce((n, rs) => n + replicasOf(rs), 0);
    const minAvailable = desired - maxUnavailable;
    const newUnavailable = replicasOf(newRS) - count(newRS.status, 'availableReplicas');
    let maxScaledDown = all() - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return;
    const byAge = (a: KObject, b: KObject) => -cmpDesc(a, b);
    // cleanupUnhealthyReplicas
    olds = [...olds].sort(byAge);
    for (const [i, rs] of olds.entries()) {
      if (maxScaledDown <= 0) break;
      const unhealthy = replicasOf(rs) - count(rs.status, 'availableReplicas');
      if (replicasOf(rs) === 0 || unhealthy <= 0) continue;
      const cut = Math.min(maxScaledDown, unhealthy);
      olds[i] = this.scaleReplicaSet(d, rs, replicasOf(rs) - cut, maxSurge);
      maxScaledDown -= cut;
    }
    // scaleDownOldReplicaSetsForRollingUpdate
    const available = [...olds, newRS].reduce((n, rs) => n + count(rs.status, 'availableReplicas'), 0);
    let toScaleDown = available - minAvailable;
    for (const rs of olds) {
      if (toScaleDown <= 0) break;
      if (replicasOf(rs) === 0) continue;
      const cut = Math.min(replicasOf(rs), toScaleDown);
      this.scaleReplicaSet(d, rs, replicasOf(rs) - cut, maxSurge);
      toScaleDown -= cut;
    }
  }

  /** cleanupDeployment: beyond revisionHistoryLimit, the oldest ReplicaSets already at zero go. */
  private cleanup(d: KObject, oldRSs: KObject[]): void {
    const spec = isObj(d.spec) ? d.spec : {};
    const limit = typeof spec.revisionHistoryLimit === 'number' ? spec.revisionHistoryLimit : 10;
    const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    let diff = alive.length - limit;
    if (diff <= 0) return;
    for (const rs of alive.sort((a, b) => revisionOf(a) - revisionOf(b))) {
      if (diff <= 0) break;
      const status = isObj(rs.status) ? rs.status : {};
      if (count(status, 'replicas') !== 0 || replicasOf(rs) !== 0) continue;
      if ((rs.metadata.generation ?? 1) > count(status, 'observedGeneration')) continue;
      this.api.removeCascading(this.replicaSets, rs);
      diff--;
    }
  }

  private writeStatus(
    d: KObject,
    all: KObject[],
    newRS: KObject | undefined,
    desired: number,
    maxUnavailable: number,
    hash: string,
    note: [string, string] | undefined,
  ): void {
    const ns = d.metadata.namespace!;
    const name = d.metadata.name!;
    const spec = isObj(d.spec) ? d.spec : {};
    const rsName = newRS?.metadata.name ?? `${name}-${hash}`;
    const sum = (k: string) => all.reduce((n, rs) => n + count(rs.status, k), 0);
    const replicas = sum('replicas');
    const updated = newRS ? count(newRS.status, 'replicas') : 0;
    const ready = sum('readyReplicas');
    const available = sum('availableReplicas');
    const prev = isObj(d.status) ? d.status : {};
    const now = this.clock.now();
    const nowStr = rfc3339(now);
    const counts: Obj = {};
    if (replicas) counts.replicas = replicas;
    if (updated) counts.updatedReplicas = updated;
    if (ready) counts.readyReplicas = ready;
    if (available) counts.availableReplicas = available;
    const unavailable = Math.max(0, all.reduce((n, rs) => n + replicasOf(rs), 0) - available);
    if (unavailable) counts.unavailableReplicas = unavailable;
    const progressed =
      ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'].some(
        (k) => prev[k] !== counts[k],
      ) || prev.observedGeneration !== d.metadata.generation;

    const complete = updated === desired && replicas === desired && available === desired;
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
    else if (timedOut || now - lastProgress >= deadlineMs)
      progressing = [
        'False',
        'ProgressDeadlineExceeded',
        `ReplicaSet "${rsName}" has timed out progressing.`,
      ];
    else if (note) progressing = ['True', ...note];
    else if (
      !resumed &&
      prevProg?.status === 'True' &&
      (prevProg.reason === 'NewReplicaSetCreated' || prevProg.reason === 'FoundNewReplicaSet')
    )
      // No progress yet since the ReplicaSet was created or found: the condition says so still.
      progressing = ['True', String(prevProg.reason), String(prevProg.message)];
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
      condition(
        prevConds,
        'Progressing',
        progressing,
        nowStr,
        (progressed || note !== undefined) && !timedOut,
      ),
    ];
    if (desired > MAX_SIMULATED_PODS) conditions.push(replicaFailure(prevConds, desired, nowStr));
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
        this.clock.setTimeout(() => this.enqueue('deploy', ns, name), wait),
      );
    }
  }
}

function replicaFailure(prev: Obj[], desired: number, now: string): Obj {
  return condition(
    prev,
    'ReplicaFailure',
    [
      'True',
      'FailedCreate',
      `sandbox: at most ${MAX_SIMULATED_PODS} pods are simulated per Deployment; spec.replicas is ${desired}`,
    ],
    now,
    false,
  );
}

function controllerRef(owner: KObject): NonNullable<KObject['metadata']['ownerReferences']>[number] {
  return {
    apiVersion: owner.apiVersion ?? 'apps/v1',
    kind: owner.kind ?? 'Deployment',
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function copiedAnnotations(d: KObject): Record<string, string> {
  return Object.fromEntries(Object.entries(d.metadata.annotations ?? {}).filter(([k]) => !NOT_COPIED.has(k)));
}

function replicasOf(o: KObject): number {
  const spec = isObj(o.spec) ? o.spec : {};
  return typeof spec.replicas === 'number' ? spec.replicas : 1;
}

function revisionOf(rs: KObject): number {
  const n = Number(rs.metadata.annotations?.[REVISION]);
  return Number.isInteger(n) ? n : 0;
}

function count(o: unknown, k: string): number {
  return isObj(o) && typeof o[k] === 'number' ? o[k] : 0;
}

/** The ReplicaSet's template is the Deployment's, but for the pod-template-hash label (EqualIgnoreHash). */
function sameTemplate(rs: KObject, template: Obj): boolean {
  const t = clone(getIn(rs.spec, 'template') ?? {}) as Obj;
  const m = isObj(t.metadata) ? t.metadata : {};
  if (isObj(m.labels)) {
    delete m.labels[HASH_LABEL];
    if (Object.keys(m.labels).length === 0 && !isObj(getIn(template, 'metadata', 'labels'))) delete m.labels;
  }
  return deepEqual(t, template);
}

/** DeploymentComplete on the status as last written. */
function isComplete(d: KObject, s: Obj, desired: number): boolean {
  return (
    count(s, 'updatedReplicas') === desired &&
    count(s, 'replicas') === desired &&
    count(s, 'availableReplicas') === desired &&
    count(s, 'observedGeneration') >= (d.metadata.generation ?? 1)
  );
}

/** controller.FilterActivePods: not terminating, not finished. */
function isActive(p: KObject): boolean {
  return !p.metadata.deletionTimestamp && !isFinished(p);
}

function isFinished(p: KObject): boolean {
  const phase = isObj(p.status) ? p.status.phase : undefined;
  return phase === 'Succeeded' || phase === 'Failed';
}

function hasLabels(p: KObject, labels: Obj): boolean {
  return Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v);
}

/**
 * deployment util ResolveFenceposts: surge rounds up, unavailable down, and both zero would stall
 * a rollout, so unavailable becomes 1.
 */
export function fenceposts(surge: unknown, unavailable: unknown, desired: number): [number, number] {
  const s = resolveIntOrPercent(surge, desired, true);
  const u = resolveIntOrPercent(unavailable, desired, false);
  return s === 0 && u === 0 ? [0, 1] : [s, Math.min(u, desired)];
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
