/**
 * apiVersion + kind -> REST path. The kinds vela-ts writes are in a static table, so a command
 * needs no discovery round trip; anything else is looked up once through discovery and cached.
 */
import type { KindRef } from './types.js';

export interface ResourceInfo {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  /** Plural resource name, as in the URL (`deployments`). */
  plural: string;
  namespaced: boolean;
}

const table: Record<string, Omit<ResourceInfo, 'group' | 'version' | 'kind'>> = {
  '/Namespace': { plural: 'namespaces', namespaced: false },
  '/ConfigMap': { plural: 'configmaps', namespaced: true },
  '/Secret': { plural: 'secrets', namespaced: true },
  '/Service': { plural: 'services', namespaced: true },
  '/Pod': { plural: 'pods', namespaced: true },
  '/Event': { plural: 'events', namespaced: true },
  '/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  '/Endpoints': { plural: 'endpoints', namespaced: true },
  'apps/Deployment': { plural: 'deployments', namespaced: true },
  'apps/ReplicaSet': { plural: 'replicasets', namespaced: true },
  'apps/ControllerRevision': { plural: 'controllerrevisions', namespaced: true },
  'coordination.k8s.io/Lease': { plural: 'leases', namespaced: true },
  'events.k8s.io/Event': { plural: 'events', namespaced: true },
  'apiextensions.k8s.io/CustomResourceDefinition': { plural: 'customresourcedefinitions', namespaced: false },
  'networking.istio.io/Gateway': { plural: 'gateways', namespaced: true },
  'networking.istio.io/VirtualService': { plural: 'virtualservices', namespaced: true },
  'networking.istio.io/DestinationRule': { plural: 'destinationrules', namespaced: true },
};

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The static answer, or undefined when discovery is needed. */
export function staticResource(ref: KindRef): ResourceInfo | undefined {
  const { group, version } = splitApiVersion(ref.apiVersion);
  const hit = table[`${group}/${ref.kind}`];
  return hit ? { group, version, kind: ref.kind, ...hit } : undefined;
}

/** The discovery document's path for a group-version (`/api/v1`, `/apis/apps/v1`). */
export function groupVersionPath(apiVersion: string): string {
  const { group, version } = splitApiVersion(apiVersion);
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

interface APIResourceList {
  resources?: { name?: unknown; kind?: unknown; namespaced?: unknown }[];
}

/** Finds `kind` in an APIResourceList (skipping subresources such as `deployments/status`). */
export function resourceFromDiscovery(ref: KindRef, doc: unknown): ResourceInfo | undefined {
  const { group, version } = splitApiVersion(ref.apiVersion);
  const resources = (doc as APIResourceList | null)?.resources ?? [];
  for (const r of resources) {
    if (typeof r.name !== 'string' || r.name.includes('/') || r.kind !== ref.kind) continue;
    return { group, version, kind: ref.kind, plural: r.name, namespaced: r.namespaced === true };
  }
  return undefined;
}

/** `/apis/apps/v1/namespaces/default/deployments[/name]`. */
export function resourcePath(info: ResourceInfo, namespace: string | undefined, name?: string): string {
  const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const tail = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${base}${ns}/${info.plural}${tail}`;
}

/** `deployments.apps`, `services`: how kubectl and the API server name a resource in messages. */
export function qualifiedResource(info: ResourceInfo): string {
  return info.group ? `${info.plural}.${info.group}` : info.plural;
}
