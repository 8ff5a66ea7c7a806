import { apiVersionOf, type Registry, type ResourceType } from './registry.js';
import { crdOpenApiDocs } from './openapi-crd.js';
import { openApiDocs, type OpenApiDoc } from './schema.js';
import type { Obj } from './util.js';

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4',
  gitCommit: '59526cd4867447956156ae3a602fcbac10a2c335',
  gitTreeState: 'clean',
  buildDate: '2025-04-22T16:02:27Z',
  goVersion: 'go1.23.6',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const SUB_VERBS = ['get', 'patch', 'update'];

function subresources(
  rt: ResourceType,
  version: string,
): Array<{ name: string; kind: string; group: string; version: string }> {
  const out: Array<{ name: string; kind: string; group: string; version: string }> = [];
  if (rt.scale) out.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1' });
  if (rt.status) out.push({ name: 'status', kind: rt.kind, group: rt.group, version });
  return out;
}

/** `GET /api/v1`, `GET /apis/{g}/{v}`: client-node's KubernetesObjectApi always reads these to map kind -> plural. */
export function resourceList(reg: Registry, group: string, version: string): Obj {
  const resources: Obj[] = [];
  for (const rt of reg.inGroupVersion(group, version)) {
    const r: Obj = {
      name: rt.plural,
      singularName: rt.singular,
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: rt.verbs,
    };
    if (rt.shortNames.length) r.shortNames = rt.shortNames;
    if (rt.categories.length) r.categories = rt.categories;
    resources.push(r);
    for (const s of subresources(rt, version)) {
      const sr: Obj = {
        name: `${rt.plural}/${s.name}`,
        singularName: '',
        namespaced: rt.namespaced,
        kind: s.kind,
        verbs: SUB_VERBS,
      };
      if (s.group !== group || s.version !== version)
        Object.assign(sr, { group: s.group, version: s.version });
      resources.push(sr);
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

export function apiVersions(address: string): Obj {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: address }],
  };
}

function apiGroup(g: { group: string; versions: string[] }): Obj {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v }));
  return { name: g.group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(reg: Registry): Obj {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: reg
      .groups()
      .filter((g) => g.group !== '')
      .map(apiGroup),
  };
}

export function apiGroupDoc(reg: Registry, group: string): Obj | undefined {
  const g = reg.groups().find((x) => x.group === group && group !== '');
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g) } : undefined;
}

/** Aggregated discovery (apidiscovery.k8s.io v2 / v2beta1): one request tells kubectl every resource. */
export function aggregated(reg: Registry, core: boolean, version: 'v2' | 'v2beta1'): Obj {
  const items = reg
    .groups()
    .filter((g) => (core ? g.group === '' : g.group !== ''))
    .map((g) => ({
      metadata: core ? { creationTimestamp: null } : { name: g.group, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        resources: reg.inGroupVersion(g.group, v).map((rt) => {
          const r: Obj = {
            resource: rt.plural,
            responseKind: { group: rt.group, version: v, kind: rt.kind },
            scope: rt.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: rt.singular,
            verbs: rt.verbs,
          };
          if (rt.shortNames.length) r.shortNames = rt.shortNames;
          if (rt.categories.length) r.categories = rt.categories;
          const subs = subresources(rt, v);
          if (subs.length) {
            r.subresources = subs.map((s) => ({
              subresource: s.name,
              responseKind: { group: s.group, version: s.version, kind: s.kind },
              verbs: SUB_VERBS,
            }));
          }
          return r;
        }),
        freshness: 'Current',
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}

export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const AGGREGATED_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

/**
 * Picks the discovery format from Accept, in the client's order of preference. Parameters may come
 * in any order (client-go compares g, v and as, not the string).
 */
export function negotiateDiscovery(accept: string | undefined): 'v2' | 'v2beta1' | 'legacy' {
  for (const part of (accept ?? '').split(',')) {
    const [base, ...params] = part.split(';').map((s) => s.trim());
    if (base !== 'application/json') continue;
    const p = Object.fromEntries(params.map((x) => x.split('=').map((s) => s.trim()) as [string, string]));
    if (p.g === 'apidiscovery.k8s.io' && p.as === 'APIGroupDiscoveryList') {
      if (p.v === 'v2') return 'v2';
      if (p.v === 'v2beta1') return 'v2beta1';
      continue;
    }
    if (!p.g && !p.as) return 'legacy';
  }
  return 'legacy';
}

/**
 * The /openapi/v3 root. Only the upstream documents are listed: for the Istio kinds kubectl finds
 * them missing, lists the CRDs and verifies fieldValidation support on the Namespace PATCH instead,
 * exactly as it does against a real cluster.
 */
/** Every document /openapi/v3 serves: the upstream built-in ones and one per custom resource group version. */
export function allOpenApiDocs(reg: Registry): OpenApiDoc[] {
  return [...openApiDocs(), ...crdOpenApiDocs(reg)];
}

export function openApiRoot(reg: Registry): Obj {
  const paths: Obj = {};
  for (const d of allOpenApiDocs(reg))
    paths[d.gv] = { serverRelativeURL: `/openapi/v3/${d.gv}?hash=${d.hash}` };
  return { paths };
}

export function crdObjects(reg: Registry, created: string): Obj[] {
  return reg.crds.map((crd) => {
    const spec = crd.spec as { names: Obj; versions: Array<{ name: string; storage: boolean }> };
    const meta = crd.metadata as Obj;
    return {
      ...crd,
      metadata: {
        ...meta,
        uid: uidFor(String(meta.name)),
        resourceVersion: '1',
        generation: 1,
        creationTimestamp: created,
      },
      status: {
        acceptedNames: spec.names,
        conditions: [
          {
            type: 'NamesAccepted',
            status: 'True',
            lastTransitionTime: created,
            reason: 'NoConflicts',
            message: 'no conflicts found',
          },
          {
            type: 'Established',
            status: 'True',
            lastTransitionTime: created,
            reason: 'InitialNamesAccepted',
            message: 'the initial names have been accepted',
          },
        ],
        storedVersions: spec.versions.filter((v) => v.storage).map((v) => v.name),
      },
    };
  });
}

function uidFor(name: string): string {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const hex = h.toString(16).padStart(8, '0');
  return `${hex}-0000-4000-8000-${hex}0000`;
}

export { apiVersionOf };
