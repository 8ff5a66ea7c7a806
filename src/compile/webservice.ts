import type { Application, Component, HealthProbe, VolumeSpec } from '../appfile/types.js';
import { LABEL_APP, LABEL_COMPONENT, LABEL_MANAGED_BY, LABEL_REVISION, MANAGED_BY } from './labels.js';
import type { Json } from './objects.js';

/**
 * The pod template of a webservice component, WITHOUT the revision label: this is what a revision
 * is a revision of, so it is what gets hashed and stored. `withRevision` adds the label.
 */
export function podTemplate(component: Component): Record<string, Json> {
  const p = component.properties;
  const container: Record<string, Json> = { name: component.name, image: p.image };
  if (p.cmd) container.command = p.cmd;
  if (p.args) container.args = p.args;
  const ports = containerPorts(component);
  if (ports.length > 0) container.ports = ports;
  if (p.env) container.env = p.env as unknown as Json;
  if (p.cpu !== undefined || p.memory !== undefined) {
    const amounts: Record<string, Json> = {};
    if (p.cpu !== undefined) amounts.cpu = p.cpu;
    if (p.memory !== undefined) amounts.memory = p.memory;
    container.resources = { limits: amounts, requests: amounts };
  }
  if (p.imagePullPolicy) container.imagePullPolicy = p.imagePullPolicy;
  if (p.livenessProbe) container.livenessProbe = probe(p.livenessProbe);
  if (p.readinessProbe) container.readinessProbe = probe(p.readinessProbe);
  if (p.volumes && p.volumes.length > 0) {
    container.volumeMounts = p.volumes.map((v) => ({ name: v.name, mountPath: v.mountPath }));
  }

  const spec: Record<string, Json> = { containers: [container] };
  if (p.volumes && p.volumes.length > 0) spec.volumes = p.volumes.map(volume);
  if (p.imagePullSecrets && p.imagePullSecrets.length > 0) {
    spec.imagePullSecrets = p.imagePullSecrets.map((name) => ({ name }));
  }
  const metadata: Record<string, Json> = {
    labels: { ...(p.labels ?? {}), [LABEL_COMPONENT]: component.name },
  };
  if (p.annotations && Object.keys(p.annotations).length > 0) metadata.annotations = p.annotations;
  return { metadata, spec };
}

export function withRevision(template: Record<string, Json>, revision: string): Record<string, Json> {
  const metadata = (template.metadata ?? {}) as Record<string, Json>;
  const labels = (metadata.labels ?? {}) as Record<string, Json>;
  return { ...template, metadata: { ...metadata, labels: { ...labels, [LABEL_REVISION]: revision } } };
}

/** Container ports: `ports` when given, else the legacy single `port` (KubeVela v1.1/v1.2 files use it). */
function containerPorts(component: Component): Json[] {
  const p = component.properties;
  if (p.ports && p.ports.length > 0) {
    return p.ports.map((port) => {
      const out: Record<string, Json> = { containerPort: port.port };
      if (port.name) out.name = port.name;
      out.protocol = port.protocol ?? 'TCP';
      return out;
    });
  }
  if (p.port !== undefined) return [{ containerPort: p.port }];
  return [];
}

function volume(v: VolumeSpec): Json {
  switch (v.type) {
    case 'emptyDir':
      return { name: v.name, emptyDir: v.medium ? { medium: v.medium } : {} };
    case 'configMap':
      return {
        name: v.name,
        configMap:
          v.defaultMode === undefined ? { name: v.cmName } : { name: v.cmName, defaultMode: v.defaultMode },
      };
    case 'secret':
      return {
        name: v.name,
        secret:
          v.defaultMode === undefined
            ? { secretName: v.secretName }
            : { secretName: v.secretName, defaultMode: v.defaultMode },
      };
    case 'pvc':
      return { name: v.name, persistentVolumeClaim: { claimName: v.claimName } };
  }
}

function probe(h: HealthProbe): Json {
  return JSON.parse(JSON.stringify(h)) as Json;
}

/** Object labels shared by everything a component produces. */
export function commonLabels(app: Application, component: string): Record<string, string> {
  return {
    ...app.labels,
    [LABEL_APP]: app.name,
    [LABEL_COMPONENT]: component,
    [LABEL_MANAGED_BY]: MANAGED_BY,
  };
}
