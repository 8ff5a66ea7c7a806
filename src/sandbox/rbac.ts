/**
 * Authentication and authorization as a kube-apiserver with `--authorization-mode=RBAC` does them:
 * bearer tokens name a user (the admin, or one minted per `--user`), RequestInfoFactory turns the
 * request into attributes (verb, API group, resource, subresource, namespace, name), and the RBAC
 * authorizer (plugin/pkg/auth/authorizer/rbac) allows it when a rule of a role bound to the user,
 * or to one of its groups, matches. Denials are apiserver's 403 Status (responsewriters.Forbidden).
 * The bootstrap policy a real cluster reconciles at start (cluster-admin, system:discovery,
 * system:public-info-viewer, system:basic-user) is stored as objects, so it can be read (and, as
 * on a real cluster, broken) with kubectl.
 */
import { createHmac } from 'node:crypto';
import { StatusError } from './errors.js';
import type { Store } from './store.js';
import { isObj, type KObject, type Obj } from './util.js';

export interface UserInfo {
  name: string;
  groups: string[];
}

/** What the authorizer sees of a request: apiserver's authorizer.Attributes. */
export interface Attributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  /** The URL path, for non-resource requests. */
  path: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

export interface Decision {
  allowed: boolean;
  /** `RBAC: allowed by ...`, or the errors met while looking (a binding to a missing role). */
  reason: string;
}

interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

interface Binding extends KObject {
  roleRef?: { apiGroup?: string; kind?: string; name?: string };
  subjects?: Subject[];
}

const GROUP = 'rbac.authorization.k8s.io';
const KEYS = {
  Role: `roles.${GROUP}`,
  RoleBinding: `rolebindings.${GROUP}`,
  ClusterRole: `clusterroles.${GROUP}`,
  ClusterRoleBinding: `clusterrolebindings.${GROUP}`,
} as const;

const ADMIN_USER: UserInfo = {
  name: 'kubernetes-admin',
  groups: ['system:masters', 'system:authenticated'],
};
const SYSTEM_MASTERS = 'system:masters';
const SA_PREFIX = 'system:serviceaccount:';

/** The groups the token authenticator gives a user: service accounts get theirs, as their tokens do. */
export function userInfo(name: string): UserInfo {
  const sa = serviceAccountOf(name);
  if (sa)
    return {
      name,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`, 'system:authenticated'],
    };
  return { name, groups: ['system:authenticated'] };
}

function serviceAccountOf(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SA_PREFIX)) return undefined;
  const [namespace, name, ...rest] = user.slice(SA_PREFIX.length).split(':');
  if (!namespace || !name || rest.length) return undefined;
  return { namespace, name };
}

/**
 * Why a `--user` name cannot be used, or undefined. Names in the `system:` space are the
 * cluster's own identities; a service account's is accepted, as its token would carry it.
 */
export function userNameProblem(name: string): string | undefined {
  if (!name.trim() || name !== name.trim())
    return 'a user name must be non-empty, without surrounding spaces';
  if (/[\s]/.test(name)) return `a user name may not contain whitespace: "${name}"`;
  if (name === ADMIN_USER.name) return `"${name}" is the sandbox's admin`;
  if (name.startsWith('system:') && !serviceAccountOf(name))
    return `"${name}" is in the system: namespace of user names; of those only service accounts (system:serviceaccount:NAMESPACE:NAME) can be given a token`;
  return undefined;
}

/**
 * A user's bearer token, derived from the admin token: stable across restarts of a saved state
 * (which keeps the admin token), and unguessable without it.
 */
export function userToken(adminToken: string, user: string): string {
  return createHmac('sha256', adminToken).update(`vela-ts-sandbox user\0${user}`).digest('base64url');
}

/** The bearer tokens the server accepts, and whose they are. */
export class Authenticator {
  private readonly tokens = new Map<string, UserInfo>();

  constructor(adminToken: string, users: readonly string[]) {
    this.tokens.set(adminToken, ADMIN_USER);
    for (const u of users) this.tokens.set(userToken(adminToken, u), userInfo(u));
  }

  /** The user of an `Authorization` header, or undefined (a 401). */
  authenticate(header: string | undefined): UserInfo | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    return m ? this.tokens.get(m[1]!) : undefined;
  }
}

/**
 * WithImpersonation: `Impersonate-User` / `Impersonate-Group` (kubectl --as / --as-group) act as
 * another identity when the requester may `impersonate` users (serviceaccounts for a service
 * account) and groups; system:masters may. Without the headers, the requester itself.
 */
export function impersonate(
  authz: Authorizer,
  requester: UserInfo,
  headers: Record<string, string | string[] | undefined>,
): UserInfo {
  const list = (h: string | string[] | undefined) => (h === undefined ? [] : Array.isArray(h) ? h : [h]);
  const asUser = list(headers['impersonate-user'])[0];
  const asGroups = list(headers['impersonate-group']);
  if (asUser === undefined) {
    // Upstream answers this with a plain 500 (responsewriters.InternalError).
    if (asGroups.length)
      throw new StatusError(
        500,
        'InternalError',
        `Internal error occurred: requested impersonation of groups [${asGroups.join(' ')}] without impersonating a user`,
      );
    return requester;
  }
  const check = (resource: string, name: string, namespace = '') => {
    const a: Attributes = {
      user: requester,
      verb: 'impersonate',
      resourceRequest: true,
      path: '',
      apiGroup: '',
      apiVersion: '',
      resource,
      subresource: '',
      namespace,
      name,
    };
    const d = authz.authorize(a);
    if (!d.allowed) throw forbidden(a, d.reason);
  };
  const sa = serviceAccountOf(asUser);
  if (sa) check('serviceaccounts', sa.name, sa.namespace);
  else check('users', asUser);
  for (const g of asGroups) check('groups', g);
  const groups = sa
    ? [...userInfo(asUser).groups.filter((g) => g !== 'system:authenticated'), ...asGroups]
    : [...asGroups];
  if (!groups.includes('system:authenticated')) groups.push('system:authenticated');
  return { name: asUser, groups };
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/**
 * RequestInfoFactory.NewRequestInfo: the attributes of a request by its method and URL. Resource
 * requests are /api/v1/... and /apis/GROUP/VERSION/...; everything else is a non-resource request
 * whose verb is the lowercased method.
 */
export function requestAttributes(user: UserInfo, method: string, url: URL): Attributes {
  const path = url.pathname;
  const m = method.toUpperCase();
  const base: Attributes = {
    user,
    verb: m.toLowerCase(),
    resourceRequest: false,
    path,
    apiGroup: '',
    apiVersion: '',
    resource: '',
    subresource: '',
    namespace: '',
    name: '',
  };
  let parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let apiGroup = '';
  let apiVersion: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    apiVersion = parts[1]!;
    parts = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    [apiGroup, apiVersion] = [parts[1]!, parts[2]!];
    parts = parts.slice(3);
  } else return base;

  let verb = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[m];
  if (!verb) verb = m.toLowerCase();
  // The deprecated /watch/ prefix.
  if (parts[0] === 'watch' && parts.length > 1) {
    verb = 'watch';
    parts = parts.slice(1);
  }
  let namespace = '';
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      // As upstream: GET /api/v1/namespaces/shop is resource namespaces, name shop, in the namespace shop.
      namespace = parts[1]!;
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
    }
  }
  const [resource = '', name = '', subresource = ''] = parts;
  let reqName = parts.length >= 2 ? name : '';
  if (!reqName && verb === 'get') {
    verb = /^(1|true)$/i.test(url.searchParams.get('watch') ?? '') ? 'watch' : 'list';
    // A list or watch of one name (kubectl get NAME -w, informers of one object) is authorized as that name.
    const one = exactName(url.searchParams.get('fieldSelector'));
    if (one && !['.', '..'].includes(one) && !/[/%]/.test(one)) reqName = one;
  }
  if (!reqName && verb === 'delete') verb = 'deletecollection';
  return {
    ...base,
    verb,
    resourceRequest: true,
    apiGroup,
    apiVersion,
    resource,
    subresource: parts.length >= 3 ? subresource : '',
    namespace,
    name: reqName,
  };
}

/** fields.Selector.RequiresExactMatch("metadata.name"). */
function exactName(selector: string | null): string | undefined {
  if (!selector) return undefined;
  for (const term of selector.split(',')) {
    const m = /^\s*metadata\.name\s*(==|=)\s*(.*?)\s*$/.exec(term);
    if (m) return m[2];
  }
  return undefined;
}

/** rbac.RuleAllows with rbacv1helpers' matchers. */
export function ruleAllows(a: Attributes, rule: PolicyRule): boolean {
  const verbs = rule.verbs ?? [];
  if (!verbs.includes('*') && !verbs.includes(a.verb)) return false;
  if (!a.resourceRequest) {
    return (rule.nonResourceURLs ?? []).some(
      (u) => u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.replace(/\*+$/, ''))),
    );
  }
  const groups = rule.apiGroups ?? [];
  if (!groups.includes('*') && !groups.includes(a.apiGroup)) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resourceOk = (rule.resources ?? []).some(
    (r) => r === '*' || r === combined || (a.subresource !== '' && r === `*/${a.subresource}`),
  );
  if (!resourceOk) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(a.name);
}

/** The RBAC authorizer over the objects in the store, with system:masters allowed first, as upstream's privileged-group authorizer. */
export class Authorizer {
  constructor(private readonly store: Store) {}

  authorize(a: Attributes): Decision {
    if (a.user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    const errors: string[] = [];
    let reason: string | undefined;
    this.visitRules(a.user, a.namespace, (source, rule, err) => {
      if (rule && ruleAllows(a, rule)) {
        reason = `RBAC: allowed by ${source}`;
        return false;
      }
      if (err) errors.push(err);
      return true;
    });
    if (reason !== undefined) return { allowed: true, reason };
    return {
      allowed: false,
      reason: errors.length ? `RBAC: ${errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`}` : '',
    };
  }

  /** The rules that apply to a user in a namespace (SelfSubjectRulesReview), and the errors met. */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    this.visitRules(user, namespace, (_s, rule, err) => {
      if (rule) rules.push(rule);
      if (err) errors.push(err);
      return true;
    });
    return { rules, errors };
  }

  /** DefaultRuleResolver.VisitRulesFor: cluster role bindings first, then the namespace's role bindings. */
  private visitRules(
    user: UserInfo,
    namespace: string,
    visit: (source: string, rule: PolicyRule | undefined, err: string | undefined) => boolean,
  ): void {
    const sorted = (objs: KObject[]) =>
      [...objs].sort((x, y) => (x.metadata.name ?? '').localeCompare(y.metadata.name ?? ''));
    for (const b of sorted(this.store.list(KEYS.ClusterRoleBinding)) as Binding[]) {
      const subject = (b.subjects ?? []).find((s) => appliesTo(user, s, ''));
      if (!subject) continue;
      const { rules, error } = this.roleRules(b, '');
      if (error && !visit('', undefined, error)) return;
      const source = `ClusterRoleBinding "${b.metadata.name}" of ${b.roleRef?.kind} "${b.roleRef?.name}" to ${describe(subject, '')}`;
      for (const r of rules) if (!visit(source, r, undefined)) return;
    }
    if (!namespace) return;
    for (const b of sorted(this.store.list(KEYS.RoleBinding, namespace)) as Binding[]) {
      const subject = (b.subjects ?? []).find((s) => appliesTo(user, s, namespace));
      if (!subject) continue;
      const { rules, error } = this.roleRules(b, namespace);
      if (error && !visit('', undefined, error)) return;
      const source = `RoleBinding "${b.metadata.name}/${namespace}" of ${b.roleRef?.kind} "${b.roleRef?.name}" to ${describe(subject, namespace)}`;
      for (const r of rules) if (!visit(source, r, undefined)) return;
    }
  }

  private roleRules(b: Binding, namespace: string): { rules: PolicyRule[]; error?: string } {
    const ref = b.roleRef ?? {};
    const name = ref.name ?? '';
    const role =
      ref.kind === 'ClusterRole'
        ? this.store.get(KEYS.ClusterRole, undefined, name)
        : ref.kind === 'Role' && namespace
          ? this.store.get(KEYS.Role, namespace, name)
          : undefined;
    if (!role) {
      if (ref.kind === 'ClusterRole') return { rules: [], error: `clusterrole.${GROUP} "${name}" not found` };
      if (ref.kind === 'Role' && namespace) return { rules: [], error: `role.${GROUP} "${name}" not found` };
      return { rules: [], error: `unsupported role reference kind: "${ref.kind}"` };
    }
    const rules = (role as Obj).rules;
    return { rules: Array.isArray(rules) ? rules.filter(isObj).map((r) => r as PolicyRule) : [] };
  }
}

function appliesTo(user: UserInfo, s: Subject, namespace: string): boolean {
  switch (s.kind) {
    case 'User':
      return user.name === s.name;
    case 'Group':
      return user.groups.includes(s.name);
    case 'ServiceAccount': {
      // A subject without a namespace means the binding's own (not allowed on a ClusterRoleBinding).
      const ns = s.namespace || namespace;
      return ns !== '' && user.name === `${SA_PREFIX}${ns}:${s.name}`;
    }
    default:
      return false;
  }
}

function describe(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} "${s.name}/${s.namespace || bindingNamespace}"`;
  return `${s.kind} "${s.name}"`;
}

/** responsewriters.forbiddenMessage, wrapped by apierrors.NewForbidden as responsewriters.Forbidden does. */
export function forbidden(a: Attributes, reason: string): StatusError {
  let msg: string;
  if (!a.resourceRequest) msg = `User "${a.user.name}" cannot ${a.verb} path "${a.path}"`;
  else {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const where = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
    msg = `User "${a.user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${where}`;
  }
  if (reason) msg = `${msg}: ${reason}`;
  const qualified = a.resource ? (a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource) : '';
  const message = !qualified
    ? `forbidden: ${msg}`
    : a.name
      ? `${qualified} "${a.name}" is forbidden: ${msg}`
      : `${qualified} is forbidden: ${msg}`;
  const details: Obj = {};
  if (a.name) details.name = a.name;
  if (a.apiGroup) details.group = a.apiGroup;
  if (a.resource) details.kind = a.resource;
  return new StatusError(403, 'Forbidden', message, details);
}

/** The bootstrap policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy) the sandbox needs: what every cluster has. */
export function bootstrapPolicy(): Array<{ kind: keyof typeof KEYS; object: KObject }> {
  const meta = (name: string) => ({
    name,
    labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
    annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
  });
  const role = (name: string, rules: PolicyRule[]) => ({
    kind: 'ClusterRole' as const,
    object: { apiVersion: `${GROUP}/v1`, kind: 'ClusterRole', metadata: meta(name), rules } as KObject,
  });
  const binding = (name: string, groups: string[]) => ({
    kind: 'ClusterRoleBinding' as const,
    object: {
      apiVersion: `${GROUP}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: meta(name),
      roleRef: { apiGroup: GROUP, kind: 'ClusterRole', name },
      subjects: groups.map((g) => ({ apiGroup: GROUP, kind: 'Group', name: g })),
    } as KObject,
  });
  return [
    role('cluster-admin', [
      { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      { verbs: ['*'], nonResourceURLs: ['*'] },
    ]),
    role('system:discovery', [
      {
        verbs: ['get'],
        nonResourceURLs: [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/openapi',
          '/openapi/*',
          '/readyz',
          '/version',
          '/version/',
        ],
      },
    ]),
    role('system:public-info-viewer', [
      { verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] },
    ]),
    role('system:basic-user', [
      {
        verbs: ['create'],
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
      },
    ]),
    binding('cluster-admin', [SYSTEM_MASTERS]),
    binding('system:discovery', ['system:authenticated']),
    binding('system:public-info-viewer', ['system:authenticated', 'system:unauthenticated']),
    binding('system:basic-user', ['system:authenticated']),
  ];
}

/**
 * SelfSubjectAccessReview (authorization.k8s.io/v1) for the requesting user: the answer to
 * `kubectl auth can-i`. Returns the object to send back (201), or throws a 422 as upstream's
 * ValidateSelfSubjectAccessReview does.
 */
export function selfSubjectAccessReview(authz: Authorizer, user: UserInfo, body: Obj): Obj {
  const spec = isObj(body.spec) ? body.spec : {};
  const ra = isObj(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  const nra = isObj(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
  if (ra && nra)
    throw reviewInvalid(
      'SelfSubjectAccessReview',
      'spec.nonResourceAttributes',
      `Invalid value: ${goValue(nra)}: cannot be specified in combination with resourceAttributes`,
    );
  if (!ra && !nra)
    throw reviewInvalid(
      'SelfSubjectAccessReview',
      'spec.resourceAttributes',
      'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
  const s = (v: unknown) => (typeof v === 'string' ? v : '');
  const a: Attributes = ra
    ? {
        user,
        verb: s(ra.verb),
        resourceRequest: true,
        path: '',
        apiGroup: s(ra.group),
        apiVersion: s(ra.version),
        resource: s(ra.resource),
        subresource: s(ra.subresource),
        namespace: s(ra.namespace),
        name: s(ra.name),
      }
    : {
        user,
        verb: s(nra!.verb),
        resourceRequest: false,
        path: s(nra!.path),
        apiGroup: '',
        apiVersion: '',
        resource: '',
        subresource: '',
        namespace: '',
        name: '',
      };
  const d = authz.authorize(a);
  const status: Obj = { allowed: d.allowed };
  if (d.reason) status.reason = d.reason;
  return reviewAnswer('SelfSubjectAccessReview', body, spec, status);
}

/** SelfSubjectRulesReview: the rules that apply to the user in spec.namespace (`kubectl auth can-i --list`). */
export function selfSubjectRulesReview(authz: Authorizer, user: UserInfo, body: Obj): Obj {
  const spec = isObj(body.spec) ? body.spec : {};
  const namespace = typeof spec.namespace === 'string' ? spec.namespace : '';
  if (!namespace) throw reviewInvalid('SelfSubjectRulesReview', 'spec.namespace', 'Required value');
  const { rules, errors } = authz.rulesFor(user, namespace);
  const resourceRules: Obj[] = [];
  const nonResourceRules: Obj[] = [];
  for (const r of rules) {
    if (r.nonResourceURLs?.length)
      nonResourceRules.push({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs });
    if (r.resources?.length) {
      const rr: Obj = { verbs: r.verbs ?? [], apiGroups: r.apiGroups ?? [], resources: r.resources };
      if (r.resourceNames?.length) rr.resourceNames = r.resourceNames;
      resourceRules.push(rr);
    }
  }
  const status: Obj = { resourceRules, nonResourceRules, incomplete: false };
  if (errors.length) status.evaluationError = errors.join(', ');
  return reviewAnswer('SelfSubjectRulesReview', body, spec, status);
}

/** A review as the apiserver answers it: the request's metadata and spec, and the status it found. */
function reviewAnswer(kind: string, body: Obj, spec: Obj, status: Obj): Obj {
  const metadata = isObj(body.metadata) ? { ...body.metadata } : {};
  return {
    kind,
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { ...metadata, creationTimestamp: null },
    spec,
    status,
  };
}

/** How field.Invalid prints a struct value (Go's %#v is long; the apiserver shows the JSON for objects). */
function goValue(v: Obj): string {
  return JSON.stringify(JSON.stringify(v));
}

function reviewInvalid(kind: string, field: string, message: string): StatusError {
  return new StatusError(422, 'Invalid', `${kind}.authorization.k8s.io "" is invalid: ${field}: ${message}`, {
    group: 'authorization.k8s.io',
    kind,
    causes: [
      {
        reason: message.startsWith('Required value') ? 'FieldValueRequired' : 'FieldValueInvalid',
        message,
        field,
      },
    ],
  });
}
