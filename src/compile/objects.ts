import type { KubeObject } from '../kube.js';
import { compareNames } from './stable.js';

export type { KubeObject };
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The API version each kind is written with; Istio objects use the v1 storage version. */
export const API = {
  Deployment: 'apps/v1',
  Service: 'v1',
  Gateway: 'networking.istio.io/v1',
  VirtualService: 'networking.istio.io/v1',
  DestinationRule: 'networking.istio.io/v1',
  ControllerRevision: 'apps/v1',
  ConfigMap: 'v1',
  Lease: 'coordination.k8s.io/v1',
} as const;

export type ManagedKind = 'Deployment' | 'Service' | 'Gateway' | 'VirtualService' | 'DestinationRule';

/**
 * The order objects are applied in and printed in: things that are referred to come before what
 * refers to them (a DestinationRule's subsets must exist before a VirtualService routes to them;
 * a Gateway before the VirtualService bound to it).
 */
export const KIND_ORDER: readonly ManagedKind[] = [
  'Deployment',
  'Service',
  'Gateway',
  'DestinationRule',
  'VirtualService',
];

export function objectKey(o: { kind: string; metadata: { namespace?: string; name: string } }): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

export function sortObjects<T extends KubeObject>(objects: T[]): T[] {
  const rank = (k: string) => {
    const i = KIND_ORDER.indexOf(k as ManagedKind);
    return i === -1 ? KIND_ORDER.length : i;
  };
  return [...objects].sort(
    (a, b) => rank(a.kind) - rank(b.kind) || compareNames(a.metadata.name, b.metadata.name),
  );
}
