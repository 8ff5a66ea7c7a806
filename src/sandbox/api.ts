import yaml from 'js-yaml';
import { applyDefaults, type Allocator } from './defaults.js';
import {
  alreadyExists,
  badRequest,
  internalError,
  methodNotAllowed,
  namespaceNotFound,
  notFound,
  patchOptionsInvalid,
  staleConflict,
  StatusError,
  unsupportedMediaType,
  type GroupResource,
} from './errors.js';
import { istioAdmission } from './istio.js';
import { normalizeBuiltin } from './normalize.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { apiVersionOf, resourceKey, storageVersion, type Registry, type ResourceType } from './registry.js';
import { pruneUnknown, rootView, unknownFields } from './schema.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ownable, recordUpdate, serverSideApply } from './ssa.js';
import type { Store } from './store.js';
import {
  asText,
  clone,
  deepEqual,
  isObj,
  randomSuffix,
  rfc3339,
  uuid,
  type Clock,
  type KObject,
  type Obj,
} from './util.js';
import { strictDecodingError, validateObject } from './validate.js';

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** One resource request, already routed: which type, at which version, which object, which subresource. */
export interface Target {
  rt: ResourceType;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: 'status' | 'scale';
  query: URLSearchParams;
  userAgent: string;
}

export interface Result {
  code: number;
  body: Obj;
  warnings?: string[];
}

type Scope = 'main' | 'status';

interface WriteOpts {
  manager: string;
  scope: Scope;
  subresource?: string;
  /** SSA has computed managedFields and checked unknown fields itself. */
  ssa?: boolean;
  dryRun: boolean;
  fieldValidation: 'Strict' | 'Warn' | 'Ignore';
  warnings: string[];
  /** Controller writes skip validation: the sandbox trusts itself. */
  trusted?: boolean;
}

/**
 * The apiserver's request semantics over the store: the write pipeline (decode, admission,
 * defaulting, validation, generation, managedFields, no-op detection) and the four patch types.
 * It knows nothing of HTTP; server.ts routes and encodes.
 */
export class Api {
  constructor(
    readonly store: Store,
    readonly registry: Registry,
    readonly clock: Clock,
    readonly alloc: Allocator,
  ) {}

  /**
   * Set by the simulated kubelet: a Pod's delete is graceful (it stays, terminating, until the
   * kubelet removes it); answers the object as the delete returns it. Unset, Pods go at once.
   */
  terminatePod?: (pod: KObject, gracePeriodSeconds: number | undefined) => KObject;

  /** The object as a client sees it at `version`: apiVersion, kind, metadata first. */
  present(rt: ResourceType, obj: KObject, version: string): KObject {
    const { apiVersion: _a, kind: _k, metadata, ...rest } = rt.view ? rt.view.convert(obj) : obj;
    return { apiVersion: apiVersionOf(rt, version), kind: rt.kind, metadata, ...rest };
  }

  private now(): string {
    return rfc3339(this.clock.now());
  }

  // ---------------------------------------------------------------- reads

  get(t: Target): Result {
    const obj = this.mustGet(t);
    if (t.subresource === 'scale') return { code: 200, body: this.scaleOf(t.rt, obj) };
    return { code: 200, body: this.present(t.rt, obj, t.version) };
  }

  private mustGet(t: Target): KObject {
    const obj = this.store.get(t.rt, t.namespace, t.name!);
    if (!obj) throw notFound(t.rt, t.name!);
    return obj;
  }

  list(t: Target): Result {
    const labels = parseLabelSelector(t.query.get('labelSelector') ?? undefined);
    const fields = parseFieldSelector(t.query.get('fieldSelector') ?? undefined, resourceKey(t.rt));
    let items = this.store.list(
      t.rt,
      t.rt.namespaced ? t.namespace : undefined,
      (o) => labels(o.metadata.labels) && fields(o),
    );
    const metadata: Obj = { resourceVersion: String(this.store.resourceVersion) };
    const cont = t.query.get('continue');
    if (cont) {
      const after = Buffer.from(cont, 'base64url').toString('utf8');
      items = items.filter((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}` > after);
    }
    const limit = Number(t.query.get('limit') ?? 0);
    if (limit > 0 && items.length > limit) {
      const last = items[limit - 1]!;
      metadata.continue = Buffer.from(`${last.metadata.namespace ?? ''}/${last.metadata.name}`).toString(
        'base64url',
      );
      metadata.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
    }
    // Lists of built-in kinds carry no apiVersion/kind per item (typed Go lists); custom resource lists do.
    const shown = items.map((o) => {
      const p = this.present(t.rt, o, t.version);
      if (t.rt.custom) return p;
      const { apiVersion: _a, kind: _k, ...rest } = p;
      return rest;
    });
    return {
      code: 200,
      body: { kind: t.rt.listKind, apiVersion: apiVersionOf(t.rt, t.version), metadata, items: shown },
    };
  }

  // ---------------------------------------------------------------- writes

  private writeOpts(t: Target, scope: Scope): WriteOpts {
    const dry = t.query.getAll('dryRun');
    for (const d of dry) if (d !== 'All') throw badRequest(`Invalid dry run value: ${d}`);
    const fv = t.query.get('fieldValidation') ?? 'Warn';
    const norm = ({ strict: 'Strict', warn: 'Warn', ignore: 'Ignore' } as const)[
      fv.toLowerCase() as 'strict' | 'warn' | 'ignore'
    ];
    if (!norm)
      throw badRequest(
        `fieldValidation: Unsupported value: "${fv}": supported values: "Ignore", "Strict", "Warn"`,
      );
    return {
      manager: t.query.get('fieldManager') ?? managerFromUserAgent(t.userAgent),
      scope,
      subresource: t.subresource,
      dryRun: dry.length > 0,
      fieldValidation: norm,
      warnings: [],
    };
  }

  create(t: Target, body: unknown): Result {
    if (t.subresource) throw methodNotAllowed();
    if (!t.rt.verbs.includes('create')) throw methodNotAllowed();
    const obj = this.decode(t, body);
    const w = this.writeOpts(t, 'main');
    if (!obj.metadata.name && obj.metadata.generateName)
      obj.metadata.name = `${obj.metadata.generateName}${randomSuffix()}`;
    const out = this.write(t, undefined, obj, w);
    return { code: 201, body: this.present(t.rt, out, t.version), warnings: w.warnings };
  }

  replace(t: Target, body: unknown): Result {
    if (!t.rt.verbs.includes('update')) throw methodNotAllowed();
    const old = this.mustGet(t);
    // A Scale (autoscaling/v1) is not the resource's own kind: writeScale reads it.
    if (t.subresource === 'scale') return this.writeScale(t, old, body);
    const obj = this.decode(t, body);
    const w = this.writeOpts(t, t.subresource === 'status' ? 'status' : 'main');
    if (obj.metadata.name !== t.name) {
      throw badRequest(
        `the name of the object (${obj.metadata.name ?? ''}) does not match the name on the URL (${t.name})`,
      );
    }
    const rv = obj.metadata.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion) throw staleConflict(t.rt, t.name!);
    const out = this.write(t, old, obj, w);
    return { code: 200, body: this.present(t.rt, out, t.version), warnings: w.warnings };
  }

  patch(t: Target, contentType: string, raw: Buffer): Result {
    if (!t.rt.verbs.includes('patch')) throw methodNotAllowed();
    const type = contentType.split(';')[0]!.trim().toLowerCase();
    const accepted = t.rt.custom
      ? [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply]
      : [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply, PATCH_TYPES.strategic];
    if (!accepted.includes(type as (typeof accepted)[number])) throw unsupportedMediaType(type, accepted);
    // ValidatePatchOptions: `force` only with apply; apply needs a fieldManager.
    if (type !== PATCH_TYPES.apply && t.query.has('force')) {
      throw patchOptionsInvalid(
        'force',
        'FieldValueForbidden',
        'Forbidden: may not be specified for non-apply patch',
      );
    }
    if (type === PATCH_TYPES.apply) return this.apply(t, raw);

    const old = this.mustGet(t);
    let patchBody: unknown;
    try {
      patchBody = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      throw badRequest(`error decoding patch: ${(e as Error).message}`);
    }
    const base: Obj =
      t.subresource === 'scale' ? this.scaleOf(t.rt, old) : this.present(t.rt, old, t.version);
    let patched: unknown;
    if (type === PATCH_TYPES.json) patched = jsonPatch(base, patchBody);
    else if (type === PATCH_TYPES.merge) {
      if (!isObj(patchBody))
        throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
      patched = mergePatch(base, patchBody);
    } else {
      if (!isObj(patchBody))
        throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
      patched = strategicMergePatch(base, patchBody, t.subresource === 'scale' ? undefined : rootView(t.rt));
    }
    if (t.subresource === 'scale') return this.writeScale(t, old, patched);
    const obj = this.decode(t, patched);
    const rv = obj.metadata.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion) throw staleConflict(t.rt, t.name!);
    const w = this.writeOpts(t, t.subresource === 'status' ? 'status' : 'main');
    const out = this.write(t, old, obj, w);
    return { code: 200, body: this.present(t.rt, out, t.version), warnings: w.warnings };
  }

  private apply(t: Target, raw: Buffer): Result {
    const manager = t.query.get('fieldManager');
    if (!manager)
      throw patchOptionsInvalid(
        'fieldManager',
        'FieldValueRequired',
        'Required value: is required for apply patch',
      );
    const force = parseBool(t.query.get('force'));
    let cfg: unknown;
    try {
      cfg = yaml.load(raw.toString('utf8'));
    } catch (e) {
      throw badRequest(`error decoding YAML: ${(e as Error).message}`);
    }
    if (!isObj(cfg)) throw badRequest('error decoding YAML: the apply patch must be an object');
    const expected = apiVersionOf(t.rt, t.version);
    if (cfg.apiVersion !== expected) {
      throw badRequest(
        `Incorrect version specified in apply patch. Specified patch version: ${asText(cfg.apiVersion ?? '')}, expected: ${expected}`,
      );
    }
    if (cfg.kind !== t.rt.kind) {
      throw badRequest(
        `Incorrect kind specified in apply patch. Specified patch kind: ${asText(cfg.kind ?? '')}, expected: ${t.rt.kind}`,
      );
    }
    const meta = isObj(cfg.metadata) ? cfg.metadata : {};
    if (meta.managedFields !== undefined) throw badRequest('metadata.managedFields must be nil');
    if (meta.name !== undefined && meta.name !== t.name) {
      throw badRequest(
        `the name of the object (${asText(meta.name)}) does not match the name on the URL (${t.name})`,
      );
    }
    if (t.rt.namespaced && meta.namespace !== undefined && meta.namespace !== t.namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const view = rootView(t.rt);
    const scope: Scope = t.subresource === 'status' ? 'status' : 'main';
    // Undeclared fields make structured-merge-diff fail to type the patch: a bare 500, as upstream.
    const unknown = unknownFields(ownable(cfg, scope, t.rt.status), view);
    if (unknown.length) {
      const ns = t.namespace ? `${t.namespace}/` : '';
      throw internalError(
        `failed to create typed patch object (${ns}${t.name}; ${expected}, Kind=${t.rt.kind}): .${unknown[0]}: field not declared in schema`,
      );
    }
    const w = this.writeOpts(t, scope);
    w.manager = manager;
    w.ssa = true;
    const old = this.store.get(t.rt, t.namespace, t.name!);
    if (!old && t.subresource) throw notFound(t.rt, t.name!);
    if (
      old &&
      typeof meta.resourceVersion === 'string' &&
      meta.resourceVersion !== old.metadata.resourceVersion
    ) {
      throw staleConflict(t.rt, t.name!);
    }
    if (!old) this.admitNamespace(t);
    const merged = serverSideApply({
      live: old,
      config: ownable(cfg, scope, t.rt.status),
      manager,
      force,
      apiVersion: expected,
      subresource: t.subresource,
      view,
      now: this.now(),
      scope,
      hasStatusSubresource: t.rt.status,
    });
    merged.metadata.name = t.name;
    if (t.rt.namespaced) merged.metadata.namespace = t.namespace;
    else delete merged.metadata.namespace;
    const out = this.write(t, old, merged, w);
    return { code: old ? 200 : 201, body: this.present(t.rt, out, t.version), warnings: w.warnings };
  }

  delete(t: Target, body: unknown): Result {
    if (!t.rt.verbs.includes('delete') || t.subresource) throw methodNotAllowed();
    const old = this.mustGet(t);
    const pre = isObj(body) && isObj(body.preconditions) ? body.preconditions : undefined;
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw new StatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualifiedName(t.rt)} "${t.name}": the ResourceVersion in the precondition (${asText(pre.resourceVersion)}) does not match the ResourceVersion in record (${old.metadata.resourceVersion}). The object might have been modified`,
        { name: t.name, group: t.rt.group, kind: t.rt.plural },
      );
    }
    if (pre?.uid !== undefined && pre.uid !== old.metadata.uid) {
      throw new StatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualifiedName(t.rt)} "${t.name}": Precondition failed: UID in precondition: ${asText(pre.uid)}, UID in object meta: ${old.metadata.uid}`,
        { name: t.name, group: t.rt.group, kind: t.rt.plural },
      );
    }
    const dryRun = t.query.getAll('dryRun').length > 0;
    const isPod = t.rt.group === '' && t.rt.kind === 'Pod';
    if (isPod && this.terminatePod && !dryRun) {
      const q = t.query.get('gracePeriodSeconds');
      const grace =
        isObj(body) && typeof body.gracePeriodSeconds === 'number'
          ? body.gracePeriodSeconds
          : q !== null && /^-?\d+$/.test(q)
            ? Number(q)
            : undefined;
      const shown = this.present(t.rt, this.terminatePod(old, grace), t.version);
      shown.metadata.deletionTimestamp ??= this.now();
      return { code: 200, body: shown };
    }
    const gone = dryRun ? old : this.removeCascading(t.rt, old);
    // Graceful kinds answer with the object (now carrying deletionTimestamp); the rest with a Success Status.
    if (isPod || (t.rt.group === '' && t.rt.kind === 'Namespace')) {
      const shown = this.present(t.rt, gone, t.version);
      shown.metadata.deletionTimestamp = this.now();
      if (t.rt.kind === 'Namespace') shown.status = { phase: 'Terminating' };
      return { code: 200, body: shown };
    }
    return {
      code: 200,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name: t.name, group: t.rt.group, kind: t.rt.plural, uid: old.metadata.uid },
      },
    };
  }

  deleteCollection(t: Target): Result {
    if (!t.rt.verbs.includes('deletecollection')) throw methodNotAllowed();
    const listed = this.list(t).body;
    const dryRun = t.query.getAll('dryRun').length > 0;
    if (!dryRun) {
      const names = new Set((listed.items as KObject[]).map((i) => i.metadata.name));
      for (const o of this.store.list(t.rt, t.rt.namespaced ? t.namespace : undefined)) {
        if (!names.has(o.metadata.name)) continue;
        if (t.rt.group === '' && t.rt.kind === 'Pod' && this.terminatePod) this.terminatePod(o, undefined);
        else this.removeCascading(t.rt, o);
      }
    }
    return { code: 200, body: listed };
  }

  /** Deletes an object and, like the garbage collector with background propagation, what it owns. */
  removeCascading(rt: ResourceType, obj: KObject): KObject {
    const gone = this.store.delete(rt, obj.metadata.namespace, obj.metadata.name!) ?? obj;
    const uid = obj.metadata.uid;
    for (const other of this.registry.types) {
      if (other.view) continue;
      if (rt.kind === 'Namespace' && other.namespaced) {
        for (const o of this.store.list(other, obj.metadata.name))
          this.store.delete(other, o.metadata.namespace, o.metadata.name!);
        continue;
      }
      if (!uid) continue;
      for (const o of this.store.listOwned(other, undefined, uid)) {
        // The garbage collector deletes dependents as a client would: a Pod terminates gracefully.
        if (other.group === '' && other.kind === 'Pod' && this.terminatePod) this.terminatePod(o, undefined);
        else this.removeCascading(other, o);
      }
    }
    return gone;
  }

  // ---------------------------------------------------------------- scale

  private scaleOf(rt: ResourceType, d: KObject): Obj {
    const spec = isObj(d.spec) ? d.spec : {};
    const status = isObj(d.status) ? d.status : {};
    const ml =
      isObj(spec.selector) && isObj(spec.selector.matchLabels)
        ? (spec.selector.matchLabels as Record<string, string>)
        : {};
    const scaleStatus: Obj = { replicas: status.replicas ?? 0 };
    const sel = Object.entries(ml)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    if (sel) scaleStatus.selector = sel;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: d.metadata.name,
        namespace: d.metadata.namespace,
        uid: d.metadata.uid,
        resourceVersion: d.metadata.resourceVersion,
        creationTimestamp: d.metadata.creationTimestamp,
      },
      spec: { replicas: spec.replicas ?? 0 },
      status: scaleStatus,
    };
    void rt;
  }

  private writeScale(t: Target, old: KObject, scale: unknown): Result {
    if (!isObj(scale) || !isObj(scale.spec)) throw badRequest('Scale body must carry spec.replicas');
    // As the apiserver decodes it: an autoscaling/v1 Scale, named as the URL.
    if (scale.apiVersion !== undefined && scale.apiVersion !== 'autoscaling/v1') {
      throw badRequest(
        `the API version in the data (${shown(scale.apiVersion)}) does not match the expected API version (autoscaling/v1)`,
      );
    }
    if (scale.kind !== undefined && scale.kind !== 'Scale') {
      throw badRequest(
        `the kind in the data (${shown(scale.kind)}) does not match the expected kind (Scale)`,
      );
    }
    const meta = isObj(scale.metadata) ? scale.metadata : {};
    if (meta.name !== undefined && meta.name !== '' && meta.name !== t.name) {
      throw badRequest(
        `the name of the object (${shown(meta.name)}) does not match the name on the URL (${t.name})`,
      );
    }
    if (
      typeof meta.resourceVersion === 'string' &&
      meta.resourceVersion &&
      meta.resourceVersion !== old.metadata.resourceVersion
    ) {
      throw staleConflict(t.rt, t.name!);
    }
    const replicas = scale.spec.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw badRequest(
        `Scale in version "v1" cannot be handled as a Scale: invalid spec.replicas ${JSON.stringify(replicas)}`,
      );
    }
    const next = clone(old);
    (next.spec as Obj).replicas = replicas;
    const w = this.writeOpts(t, 'main');
    const out = this.write({ ...t, subresource: undefined }, old, next, { ...w, subresource: 'scale' });
    return { code: 200, body: this.scaleOf(t.rt, out), warnings: w.warnings };
  }

  // ---------------------------------------------------------------- the write pipeline

  private decode(t: Target, body: unknown): KObject {
    if (!isObj(body)) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
    const obj = clone(body) as KObject;
    const expected = apiVersionOf(t.rt, t.version);
    if (obj.apiVersion !== undefined && obj.apiVersion !== expected) {
      throw badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${expected})`,
      );
    }
    if (obj.kind !== undefined && obj.kind !== t.rt.kind) {
      throw badRequest(
        `the kind in the data (${String(obj.kind)}) does not match the expected kind (${t.rt.kind})`,
      );
    }
    if (!isObj(obj.metadata)) obj.metadata = {};
    if (t.rt.namespaced) {
      if (
        obj.metadata.namespace !== undefined &&
        obj.metadata.namespace !== '' &&
        obj.metadata.namespace !== t.namespace
      ) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      obj.metadata.namespace = t.namespace;
    } else delete obj.metadata.namespace;
    return obj;
  }

  private admitNamespace(t: Target): void {
    // NamespaceLifecycle admission: no creating into a namespace that does not exist.
    if (t.rt.namespaced && t.namespace && !this.store.get('namespaces', undefined, t.namespace))
      throw namespaceNotFound(t.namespace);
  }

  /** Runs admission, defaulting, validation and bookkeeping, then stores unless it is a no-op or a dry run. */
  write(t: Target, old: KObject | undefined, input: KObject, w: WriteOpts): KObject {
    const rt = t.rt;
    if (!old) this.admitNamespace(t);
    let cand = clone(input);
    const view = rootView(rt);
    if (!w.ssa && !w.trusted) {
      const unknown = unknownFields(cand, view);
      if (unknown.length) {
        if (w.fieldValidation === 'Strict') throw strictDecodingError(rt, t.version, unknown);
        if (w.fieldValidation === 'Warn') for (const f of unknown) w.warnings.push(`unknown field "${f}"`);
        pruneUnknown(cand, view);
      }
    }
    if (w.scope === 'status') {
      // A status write changes status only (and never bumps generation).
      const base = clone(old!);
      base.status = cand.status;
      base.metadata.managedFields = cand.metadata.managedFields ?? base.metadata.managedFields;
      cand = base;
    } else if (rt.status) {
      // Writes to the main resource ignore status when the kind has a status subresource.
      if (old) cand.status = old.status;
      else if (!w.trusted) cand.status = initialStatus(rt);
    }
    const m = cand.metadata;
    m.name = old?.metadata.name ?? m.name;
    m.uid = old?.metadata.uid ?? uuid();
    m.creationTimestamp = old?.metadata.creationTimestamp ?? this.now();
    if (old?.metadata.deletionTimestamp) m.deletionTimestamp = old.metadata.deletionTimestamp;
    else delete m.deletionTimestamp;
    delete m.resourceVersion;
    delete m.selfLink;
    if (rt.generation) m.generation = old?.metadata.generation ?? 1;
    else delete m.generation;
    // Decoding into Go structs canonicalises quantities and loses empty omitempty fields; then defaulting.
    if (!w.trusted) normalizeBuiltin(rt, cand, t.version);
    applyDefaults(rt, cand, this.alloc);
    if (!w.trusted) {
      validateObject(rt, cand, old, t.version);
      // Validating admission webhooks run after the apiserver's own validation (dry runs included).
      istioAdmission(rt, cand);
    }
    if (rt.generation && old && specChanged(old, cand)) m.generation = (old.metadata.generation ?? 1) + 1;
    if (!w.ssa) {
      const mf = recordUpdate({
        old,
        next: cand,
        manager: w.manager,
        apiVersion: apiVersionOf(rt, t.version),
        subresource: w.subresource,
        view,
        now: this.now(),
        scope: w.scope,
        hasStatusSubresource: rt.status,
      });
      if (mf.length) m.managedFields = mf;
      else delete m.managedFields;
    }
    const apiVersion = apiVersionOf(rt, storageVersion(rt));
    cand = { ...cand, apiVersion, kind: rt.kind };
    if (old) {
      const a = { ...old, metadata: { ...old.metadata, resourceVersion: undefined } };
      const b = { ...cand, metadata: { ...cand.metadata, resourceVersion: undefined } };
      // A write that changes nothing keeps the resourceVersion and sends no watch event.
      if (deepEqual(a, b)) return old;
    } else if (this.store.get(rt, t.namespace, m.name!)) {
      throw alreadyExists(rt, m.name!);
    }
    if (w.dryRun)
      return {
        ...cand,
        metadata: { ...cand.metadata, resourceVersion: old?.metadata.resourceVersion ?? '' },
      };
    return this.store.put(rt, cand);
  }

  /** The controller's own writes: server-side bookkeeping, no validation. */
  systemWrite(
    rt: ResourceType,
    old: KObject | undefined,
    obj: KObject,
    manager: string,
    subresource?: 'status',
  ): KObject {
    const t: Target = {
      rt,
      version: storageVersion(rt),
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      subresource,
      query: new URLSearchParams(),
      userAgent: manager,
    };
    return this.write(t, old, obj, {
      manager,
      scope: subresource === 'status' ? 'status' : 'main',
      subresource,
      dryRun: false,
      fieldValidation: 'Ignore',
      warnings: [],
      trusted: true,
    });
  }
}

/** What a freshly created object's status is before any controller has looked at it. */
function initialStatus(rt: ResourceType): Obj | undefined {
  if (rt.custom) return undefined;
  switch (rt.kind) {
    case 'Deployment':
      return {};
    case 'ReplicaSet':
      return { replicas: 0 };
    case 'Namespace':
      return { phase: 'Active' };
    case 'Pod':
      return { phase: 'Pending', qosClass: 'BestEffort' };
    default:
      return undefined; // Service: defaulting adds loadBalancer {}
  }
}

function specChanged(a: KObject, b: KObject): boolean {
  const strip = (o: KObject) => {
    const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
    return rest;
  };
  return !deepEqual(strip(a), strip(b));
}

function parseBool(v: string | null): boolean {
  if (v === null || v === '') return false;
  return !/^(0|false)$/i.test(v);
}

function qualifiedName(gr: GroupResource): string {
  return gr.group ? `${gr.plural}.${gr.group}` : gr.plural;
}

/** The apiserver names a manager from the User-Agent when no fieldManager is given: `kubectl/v1.32 …` -> `kubectl`. */
export function managerFromUserAgent(ua: string): string {
  const m = ua.split('/')[0]?.trim();
  return m ? m.slice(0, 128) : 'unknown';
}

export { resourceKey };

/** A field of a request body, as a message quotes it. */
function shown(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
