import { createHash } from 'node:crypto';
import type { Registry } from './registry.js';
import { component, type OpenApiDoc } from './schema.js';
import { clone, isObj, type Obj } from './util.js';

/**
 * The OpenAPI v3 document an apiserver publishes for each served version of a custom resource
 * group (apiextensions-apiserver's builder): `apis/networking.istio.io/v1` with a schema per kind,
 * named `io.istio.networking.v1.VirtualService`, carrying `x-kubernetes-group-version-kind`, with
 * metadata as ObjectMeta, and the paths with their PATCH operations (kubectl's field-validation
 * check looks for the `fieldValidation` parameter there). This is what `kubectl explain` reads.
 */
const cache = new WeakMap<Registry, OpenApiDoc[]>();

export function crdOpenApiDocs(registry: Registry): OpenApiDoc[] {
  const cached = cache.get(registry);
  if (cached) return cached;
  const byGv = new Map<string, { group: string; version: string; kinds: Kind[] }>();
  for (const crd of registry.crds) {
    const spec = crd.spec as {
      group: string;
      names: { kind: string; plural: string; listKind?: string };
      scope: string;
      versions: Array<{ name: string; served: boolean; schema: { openAPIV3Schema: Obj } }>;
    };
    for (const v of spec.versions) {
      if (!v.served) continue;
      const gv = `apis/${spec.group}/${v.name}`;
      const entry = byGv.get(gv) ?? { group: spec.group, version: v.name, kinds: [] };
      entry.kinds.push({ names: spec.names, scope: spec.scope, schema: v.schema.openAPIV3Schema });
      byGv.set(gv, entry);
    }
  }
  const docs = [...byGv].map(([gv, { group, version, kinds }]) => {
    const doc = buildDoc(group, version, kinds);
    const bytes = Buffer.from(JSON.stringify(doc));
    return { gv, bytes, hash: createHash('sha512').update(bytes).digest('hex').toUpperCase(), parsed: doc };
  });
  cache.set(registry, docs);
  return docs;
}

interface Kind {
  names: { kind: string; plural: string; listKind?: string };
  scope: string;
  schema: Obj;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** `networking.istio.io` -> `io.istio.networking`, as the builder names CRD schemas. */
function reversedGroup(group: string): string {
  return group.split('.').reverse().join('.');
}

function buildDoc(group: string, version: string, kinds: Kind[]): Obj {
  const schemas: Obj = {};
  const paths: Obj = {};
  const prefix = `${reversedGroup(group)}.${version}.`;
  for (const k of kinds) {
    const gvk = [{ group, kind: k.names.kind, version }];
    const props = isObj(k.schema.properties) ? clone(k.schema.properties) : {};
    schemas[`${prefix}${k.names.kind}`] = {
      ...clone(k.schema),
      type: 'object',
      properties: {
        apiVersion: {
          description:
            'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
          type: 'string',
        },
        kind: {
          description:
            'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
          type: 'string',
        },
        metadata: {
          allOf: [ref(`${META}ObjectMeta`)],
          description:
            "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
        },
        ...props,
      },
      'x-kubernetes-group-version-kind': gvk,
    };
    const listKind = k.names.listKind ?? `${k.names.kind}List`;
    schemas[`${prefix}${listKind}`] = {
      description: `${listKind} is a list of ${k.names.kind}`,
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: { type: 'string' },
        items: { type: 'array', items: ref(`${prefix}${k.names.kind}`) },
        kind: { type: 'string' },
        metadata: { allOf: [ref(`${META}ListMeta`)] },
      },
      'x-kubernetes-group-version-kind': [{ group, kind: listKind, version }],
    };
    const ns = k.scope === 'Namespaced' ? '/namespaces/{namespace}' : '';
    const item = `/apis/${group}/${version}${ns}/${k.names.plural}/{name}`;
    const body = { content: { 'application/json': { schema: ref(`${prefix}${k.names.kind}`) } } };
    const ok = { '200': { description: 'OK', content: body.content } };
    const query = (name: string, description: string) => ({
      name,
      in: 'query',
      description,
      schema: { type: 'string', uniqueItems: true },
    });
    const pathParams = [
      { name: 'name', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } },
      ...(ns
        ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } }]
        : []),
    ];
    const op = (verb: string, extra: Obj = {}) => ({
      operationId: `${verb}${k.names.kind}`,
      responses: ok,
      'x-kubernetes-action': verb,
      'x-kubernetes-group-version-kind': { group, kind: k.names.kind, version },
      ...extra,
    });
    paths[item] = {
      get: op('get'),
      put: op('put', {
        requestBody: body,
        parameters: [
          query(
            'fieldValidation',
            'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields.',
          ),
        ],
      }),
      patch: op('patch', {
        requestBody: {
          content: Object.fromEntries(
            [
              'application/apply-patch+yaml',
              'application/json-patch+json',
              'application/merge-patch+json',
            ].map((t) => [t, { schema: ref(`${META}Patch`) }]),
          ),
        },
        parameters: [
          query('dryRun', 'When present, indicates that modifications should not be persisted.'),
          query(
            'fieldManager',
            'fieldManager is a name associated with the actor or entity that is making these changes.',
          ),
          query(
            'fieldValidation',
            'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields.',
          ),
          {
            name: 'force',
            in: 'query',
            description: 'Force is going to "force" Apply requests.',
            schema: { type: 'boolean', uniqueItems: true },
          },
        ],
      }),
      delete: op('delete'),
      parameters: pathParams,
    };
  }
  // The Kubernetes types the schemas point at (ObjectMeta and what it refers to, ListMeta, Patch).
  const pending = [`${META}ObjectMeta`, `${META}ListMeta`, `${META}Patch`];
  while (pending.length) {
    const name = pending.pop()!;
    if (schemas[name]) continue;
    const s = component(name);
    if (!s) continue;
    schemas[name] = s;
    for (const r of JSON.stringify(s).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) pending.push(r[1]!);
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes CRD Swagger', version: 'v0.1.0' },
    paths,
    components: { schemas },
  };
}
