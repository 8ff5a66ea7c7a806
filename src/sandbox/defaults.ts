import type { ResourceType } from './registry.js';
import { isObj, type KObject, type Obj } from './util.js';

/**
 * The defaulting a real apiserver does for the kinds vela-ts writes (Go `SetDefaults_*` functions;
 * only a few of them show up as OpenAPI `default`s). vela-ts compares live objects with desired
 * ones, so these fields must appear exactly where a cluster would put them.
 */
export interface Allocator {
  clusterIP(): string;
  nodePort(): number;
}

export function applyDefaults(rt: ResourceType, obj: KObject, alloc: Allocator): void {
  if (rt.custom) return;
  switch (`${rt.group}/${rt.kind}`) {
    case 'apps/Deployment':
      return defaultDeployment(obj);
    case 'apps/ReplicaSet':
      return defaultReplicaSet(obj);
    case '/Service':
      return defaultService(obj, alloc);
    case '/Pod':
      if (isObj(obj.spec)) defaultPodSpec(obj.spec);
      return;
    case '/Namespace': {
      const name = obj.metadata.name ?? '';
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
      obj.spec = { finalizers: ['kubernetes'], ...(isObj(obj.spec) ? obj.spec : {}) };
      return;
    }
    case '/Secret':
      defaultSecret(obj);
      return;
  }
}

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

function defaultDeployment(d: KObject): void {
  const spec = isObj(d.spec) ? d.spec : (d.spec = {});
  setDefault(spec, 'replicas', 1);
  const strategy = isObj(spec.strategy) ? spec.strategy : (spec.strategy = {});
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = isObj(strategy.rollingUpdate) ? strategy.rollingUpdate : (strategy.rollingUpdate = {});
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  const template = isObj(spec.template) ? spec.template : undefined;
  if (template) {
    // 1.32 still prints `creationTimestamp: null` in pod templates.
    const tm = isObj(template.metadata) ? template.metadata : (template.metadata = {});
    if (!('creationTimestamp' in tm)) tm.creationTimestamp = null;
    if (isObj(template.spec)) defaultPodSpec(template.spec);
  }
}

function defaultReplicaSet(rs: KObject): void {
  const spec = isObj(rs.spec) ? rs.spec : (rs.spec = {});
  setDefault(spec, 'replicas', 1);
  const template = isObj(spec.template) ? spec.template : undefined;
  if (template) {
    const tm = isObj(template.metadata) ? template.metadata : (template.metadata = {});
    if (!('creationTimestamp' in tm)) tm.creationTimestamp = null;
    if (isObj(template.spec)) defaultPodSpec(template.spec);
  }
}

function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const list of ['containers', 'initContainers']) {
    const cs = spec[list];
    if (Array.isArray(cs)) for (const c of cs) if (isObj(c)) defaultContainer(c);
  }
  if (Array.isArray(spec.volumes)) {
    for (const v of spec.volumes) {
      if (!isObj(v)) continue;
      for (const src of ['configMap', 'secret']) if (isObj(v[src])) setDefault(v[src], 'defaultMode', 420);
    }
  }
}

function defaultContainer(c: Obj): void {
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  const image = typeof c.image === 'string' ? c.image : '';
  // Go: Always for ":latest" or an untagged image, otherwise IfNotPresent (digests count as tagged).
  const tail = image.slice(image.lastIndexOf('/') + 1);
  const latest = !image.includes('@') && (!tail.includes(':') || tail.endsWith(':latest'));
  setDefault(c, 'imagePullPolicy', latest ? 'Always' : 'IfNotPresent');
  setDefault(c, 'resources', {});
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isObj(p)) setDefault(p, 'protocol', 'TCP');
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const p = c[probe];
    if (!isObj(p)) continue;
    setDefault(p, 'timeoutSeconds', 1);
    setDefault(p, 'periodSeconds', 10);
    setDefault(p, 'successThreshold', 1);
    setDefault(p, 'failureThreshold', 3);
    if (isObj(p.httpGet)) setDefault(p.httpGet, 'scheme', 'HTTP');
  }
  if (Array.isArray(c.env)) {
    for (const e of c.env) {
      const fr =
        isObj(e) && isObj(e.valueFrom) && isObj(e.valueFrom.fieldRef) ? e.valueFrom.fieldRef : undefined;
      if (fr) setDefault(fr, 'apiVersion', 'v1');
    }
  }
}

function defaultService(s: KObject, alloc: Allocator): void {
  const spec = isObj(s.spec) ? s.spec : (s.spec = {});
  setDefault(spec, 'type', 'ClusterIP');
  setDefault(spec, 'sessionAffinity', 'None');
  const type = spec.type;
  if (type !== 'ExternalName') {
    if (spec.clusterIP === undefined || spec.clusterIP === '') {
      const ip =
        Array.isArray(spec.clusterIPs) && typeof spec.clusterIPs[0] === 'string'
          ? spec.clusterIPs[0]
          : alloc.clusterIP();
      spec.clusterIP = ip;
    }
    setDefault(spec, 'clusterIPs', [spec.clusterIP]);
    setDefault(spec, 'ipFamilies', ['IPv4']);
    setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
    setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  }
  if (Array.isArray(spec.ports)) {
    for (const p of spec.ports) {
      if (!isObj(p)) continue;
      setDefault(p, 'protocol', 'TCP');
      setDefault(p, 'targetPort', p.port);
      if ((type === 'NodePort' || type === 'LoadBalancer') && p.nodePort === undefined)
        p.nodePort = alloc.nodePort();
    }
  }
  if (type === 'NodePort' || type === 'LoadBalancer') setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  if (s.status === undefined) s.status = { loadBalancer: {} };
}

function defaultSecret(s: KObject): void {
  setDefault(s, 'type', 'Opaque');
  // stringData is write-only: the apiserver folds it into data (base64) and never returns it.
  if (isObj(s.stringData)) {
    const data = isObj(s.data) ? s.data : (s.data = {});
    for (const [k, v] of Object.entries(s.stringData))
      data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    delete s.stringData;
  }
}
