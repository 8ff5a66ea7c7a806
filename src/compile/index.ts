import type { Application } from '../appfile/types.js';
import { canaryObjects } from './canary-traffic.js';
import { service } from './expose.js';
import { gatewayObjects } from './istio-gateway.js';
import { sortObjects, type KubeObject } from './objects.js';
import { settle, type Placement } from './placement.js';
import type { RevisionHistory } from './revisions.js';
import { canonical } from './stable.js';
import { deployments } from './workload.js';

export * from './labels.js';
export { initialPlacement, settle, trait } from './placement.js';
export type { Placement, ComponentPlacement } from './placement.js';
export { resolveRevisions, revisionName, templateHash } from './revisions.js';
export type { RevisionHistory, RevisionRecord } from './revisions.js';
export { cumulativeTargets, lastBatch } from './batches.js';
export { objectKey, sortObjects, API, KIND_ORDER } from './objects.js';
export { objectChanges, type ObjectChange } from './changes.js';
export { canaryRouting, type CanaryRouting } from './canary-traffic.js';
export type { KubeObject, Json, ManagedKind } from './objects.js';

/**
 * Application + where each component stands -> every object, in apply order, with canonical key
 * order. Pure: the same input gives the same bytes.
 */
export function compile(
  app: Application,
  namespace: string,
  placement: Placement,
  history: RevisionHistory,
): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const component of app.components) {
    const at = placement[component.name] ?? settle(component, component.name, undefined);
    objects.push(...deployments(app, namespace, component, at, history));
    const svc = service(app, namespace, component);
    if (svc) objects.push(svc);
    objects.push(...gatewayObjects(app, namespace, component, at));
    objects.push(...canaryObjects(app, namespace, component, at));
  }
  return sortObjects(objects).map((o) => canonical(o, true) as KubeObject);
}
