import yaml from 'js-yaml';
import { toEventsV1 } from './events-v1.js';
import { readSchema } from './paths.js';
import type { KObject, Obj } from './util.js';

/** Where a kind's schema lives: a named component of the Kubernetes documents, or an inline CRD schema. */
export type SchemaSource =
  { type: 'component'; name: string } | { type: 'inline'; schema: Obj } | { type: 'none' };

export interface ResourceType {
  group: string;
  /** Served versions, preferred first. Objects are stored once and shown at the version asked for. */
  versions: string[];
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  status: boolean;
  scale: boolean;
  /** Custom resources: strategic merge is a 415, list items keep apiVersion/kind, every object has a generation. */
  custom: boolean;
  /** metadata.generation is kept (Deployments and custom resources; not Services, ConfigMaps, Pods in 1.32). */
  generation: boolean;
  schema: SchemaSource;
  /** Custom resources: each served version's additionalPrinterColumns, for Table output. */
  printerColumns?: Record<string, PrinterColumn[]>;
  /**
   * Another type's objects seen in this type's shape: what storage they are in (its resourceKey)
   * and how each is shown (events.k8s.io/v1 Events are the core/v1 ones, converted).
   */
  view?: { storage: string; convert: (stored: KObject) => KObject };
}

/** A CRD's additionalPrinterColumns entry (apiextensions.k8s.io/v1 CustomResourceColumnDefinition). */
export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const RO = ['get', 'list', 'watch'];

function builtin(
  p: Partial<ResourceType> & Pick<ResourceType, 'group' | 'plural' | 'singular' | 'kind'>,
): ResourceType {
  const versions = p.versions ?? ['v1'];
  return {
    versions,
    listKind: `${p.kind}List`,
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: RW,
    status: false,
    scale: false,
    custom: false,
    generation: false,
    schema: { type: 'component', name: `io.k8s.api.${p.group === '' ? 'core' : p.group}.v1.${p.kind}` },
    ...p,
  };
}

export function apiVersionOf(rt: ResourceType, version: string): string {
  return rt.group ? `${rt.group}/${version}` : version;
}

export function storageVersion(rt: ResourceType): string {
  return rt.versions[0]!;
}

/** A hand-written schema in OpenAPI form for Lease: coordination.k8s.io is not among the saved documents. */
const LEASE_SCHEMA: Obj = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: {
      $ref: 'https://sandbox.vela-ts.invalid/k8s#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    },
    spec: {
      type: 'object',
      properties: {
        acquireTime: { type: 'string', format: 'date-time' },
        holderIdentity: { type: 'string' },
        leaseDurationSeconds: { type: 'integer', format: 'int32' },
        leaseTransitions: { type: 'integer', format: 'int32' },
        preferredHolder: { type: 'string' },
        renewTime: { type: 'string', format: 'date-time' },
        strategy: { type: 'string' },
      },
    },
  },
};

export class Registry {
  readonly types: ResourceType[];
  readonly crds: Obj[];

  constructor() {
    this.crds = loadIstioCrds();
    this.types = [
      builtin({
        group: '',
        plural: 'namespaces',
        singular: 'namespace',
        kind: 'Namespace',
        namespaced: false,
        shortNames: ['ns'],
        status: true,
      }),
      builtin({
        group: '',
        plural: 'configmaps',
        singular: 'configmap',
        kind: 'ConfigMap',
        shortNames: ['cm'],
      }),
      builtin({ group: '', plural: 'secrets', singular: 'secret', kind: 'Secret' }),
      builtin({
        group: '',
        plural: 'services',
        singular: 'service',
        kind: 'Service',
        shortNames: ['svc'],
        categories: ['all'],
        status: true,
      }),
      builtin({
        group: '',
        plural: 'pods',
        singular: 'pod',
        kind: 'Pod',
        shortNames: ['po'],
        categories: ['all'],
        status: true,
      }),
      builtin({
        group: 'apps',
        plural: 'deployments',
        singular: 'deployment',
        kind: 'Deployment',
        shortNames: ['deploy'],
        categories: ['all'],
        status: true,
        scale: true,
        generation: true,
      }),
      builtin({
        group: 'apps',
        plural: 'replicasets',
        singular: 'replicaset',
        kind: 'ReplicaSet',
        shortNames: ['rs'],
        categories: ['all'],
        status: true,
        scale: true,
        generation: true,
      }),
      builtin({ group: '', plural: 'events', singular: 'event', kind: 'Event', shortNames: ['ev'] }),
      builtin({
        group: 'apps',
        plural: 'controllerrevisions',
        singular: 'controllerrevision',
        kind: 'ControllerRevision',
      }),
      // After apps, as the apiserver orders its groups. Read-only here: the sandbox's Events are
      // written by its controller, through core/v1.
      builtin({
        group: 'events.k8s.io',
        plural: 'events',
        singular: 'event',
        kind: 'Event',
        shortNames: ['ev'],
        verbs: RO,
        schema: { type: 'none' },
        view: { storage: 'events', convert: toEventsV1 },
      }),
      ...rbacTypes(),
      builtin({
        group: 'coordination.k8s.io',
        plural: 'leases',
        singular: 'lease',
        kind: 'Lease',
        schema: { type: 'inline', schema: LEASE_SCHEMA },
      }),
      builtin({
        group: 'apiextensions.k8s.io',
        plural: 'customresourcedefinitions',
        singular: 'customresourcedefinition',
        kind: 'CustomResourceDefinition',
        namespaced: false,
        shortNames: ['crd', 'crds'],
        categories: ['api-extensions'],
        verbs: RO,
        status: true,
        schema: { type: 'none' },
      }),
      ...this.crds.map(crdType),
    ];
  }

  byPath(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.plural === plural && t.versions.includes(version));
  }

  byKind(group: string, kind: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.kind === kind);
  }

  /** Group name -> versions, in the order discovery lists them (core first, then by registration). */
  groups(): Array<{ group: string; versions: string[] }> {
    const out: Array<{ group: string; versions: string[] }> = [];
    for (const t of this.types) {
      const g = out.find((x) => x.group === t.group);
      if (!g) out.push({ group: t.group, versions: [...t.versions] });
      else for (const v of t.versions) if (!g.versions.includes(v)) g.versions.push(v);
    }
    return out;
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.types.filter((t) => t.group === group && t.versions.includes(version));
  }
}

/**
 * rbac.authorization.k8s.io/v1 (stored like any kind) and the access reviews of
 * authorization.k8s.io/v1, which are create-only and never stored (rbac.ts answers them).
 */
function rbacTypes(): ResourceType[] {
  const rbac = (kind: string, namespaced: boolean) =>
    builtin({
      group: 'rbac.authorization.k8s.io',
      plural: `${kind.toLowerCase()}s`,
      singular: kind.toLowerCase(),
      kind,
      namespaced,
      schema: { type: 'component', name: `io.k8s.api.rbac.v1.${kind}` },
    });
  const review = (kind: string) =>
    builtin({
      group: 'authorization.k8s.io',
      plural: `${kind.toLowerCase()}s`,
      singular: kind.toLowerCase(),
      kind,
      namespaced: false,
      verbs: ['create'],
      schema: { type: 'component', name: `io.k8s.api.authorization.v1.${kind}` },
    });
  // The apiserver's order of groups: authorization.k8s.io before rbac.authorization.k8s.io.
  return [
    review('SelfSubjectAccessReview'),
    review('SelfSubjectRulesReview'),
    rbac('ClusterRole', false),
    rbac('ClusterRoleBinding', false),
    rbac('Role', true),
    rbac('RoleBinding', true),
  ];
}

/** The resource's qualified name, which is also its key in storage: `deployments.apps`, `services`. */
export function resourceKey(rt: ResourceType): string {
  return rt.group ? `${rt.plural}.${rt.group}` : rt.plural;
}

/** Where a type's objects are stored: under its own resourceKey, or that of the type it is a view of. */
export function storageKey(rt: ResourceType): string {
  return rt.view?.storage ?? resourceKey(rt);
}

function loadIstioCrds(): Obj[] {
  return yaml
    .loadAll(readSchema('istio-1.29.6/networking.istio.io-crds.yaml').toString('utf8'))
    .filter((d): d is Obj => typeof d === 'object' && d !== null);
}

interface CrdSpec {
  group: string;
  scope: string;
  names: {
    plural: string;
    singular: string;
    kind: string;
    listKind: string;
    shortNames?: string[];
    categories?: string[];
  };
  versions: Array<{
    name: string;
    served: boolean;
    storage: boolean;
    schema: { openAPIV3Schema: Obj };
    subresources?: { status?: Obj; scale?: Obj };
    additionalPrinterColumns?: PrinterColumn[];
  }>;
}

function crdType(crd: Obj): ResourceType {
  const spec = crd.spec as CrdSpec;
  // Storage version first so it is also the preferred version, as the apiserver does for CRDs.
  const versions = [...spec.versions]
    .filter((v) => v.served)
    .sort((a, b) => Number(b.storage) - Number(a.storage));
  const storage = versions[0]!;
  return {
    group: spec.group,
    versions: versions.map((v) => v.name),
    plural: spec.names.plural,
    singular: spec.names.singular,
    kind: spec.names.kind,
    listKind: spec.names.listKind,
    namespaced: spec.scope === 'Namespaced',
    shortNames: spec.names.shortNames ?? [],
    categories: spec.names.categories ?? [],
    verbs: RW,
    status: Boolean(storage.subresources?.status),
    scale: false,
    custom: true,
    generation: true,
    schema: { type: 'inline', schema: storage.schema.openAPIV3Schema },
    printerColumns: Object.fromEntries(versions.map((v) => [v.name, v.additionalPrinterColumns ?? []])),
  };
}
