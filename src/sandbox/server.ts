import type { IncomingMessage, ServerResponse } from 'node:http';
import yaml from 'js-yaml';
import { type Api, type Target } from './api.js';
import {
  AGGREGATED_V2,
  AGGREGATED_V2BETA1,
  aggregated,
  allOpenApiDocs,
  apiGroupDoc,
  apiGroupList,
  apiVersions,
  negotiateDiscovery,
  openApiRoot,
  resourceList,
  VERSION_INFO,
} from './discovery.js';
import {
  badRequest,
  methodNotAllowed,
  pathNotFound,
  StatusError,
  unauthorized,
  unsupportedBodyType,
} from './errors.js';
import { forward, locateService, type ServiceBackends } from './proxy.js';
import {
  forbidden,
  impersonate,
  requestAttributes,
  selfSubjectAccessReview,
  selfSubjectRulesReview,
  type Authenticator,
  type Authorizer,
  type UserInfo,
} from './rbac.js';
import { apiVersionOf, type Registry, type ResourceType } from './registry.js';
import { decodeProtobuf, PROTOBUF } from './protobuf.js';
import { includeObjectOption, negotiateTable, toTable, type TableVersion } from './table.js';
import { isObj, truthy, type Clock, type KObject, type Obj } from './util.js';
import { Watches } from './watch.js';

const MAX_BODY = 3 * 1024 * 1024;

export interface ServerOptions {
  api: Api;
  registry: Registry;
  /** Who a bearer token is (the admin, the `--user`s). */
  authn: Authenticator;
  /** Whether they may: RBAC over the store, the admin (system:masters) always. */
  authz: Authorizer;
  clock: Clock;
  /** Where the audit log's lines go (one JSON object per line), if there is one. */
  auditLog?: { write(line: string): void };
  failRate: number;
  random: () => number;
  /** host:port, for APIVersions.serverAddressByClientCIDRs. */
  address: () => string;
  /** What the service proxy can reach (proxy.ts), by `namespace/name/portName`. */
  backends?: ServiceBackends;
}

/**
 * HTTP routing for the sandbox: authentication, the audit log, injected failures, discovery,
 * OpenAPI, the resource endpoints and the service proxy. Semantics live in api.ts, watch streams in
 * watch.ts, the proxy's in proxy.ts.
 */
export class SandboxServer {
  private readonly watches: Watches;

  constructor(private readonly o: ServerOptions) {
    this.watches = new Watches(o);
  }

  /** Ends every open watch stream cleanly (clients see the stream close and re-watch). */
  closeWatches(): void {
    this.watches.closeAll();
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    // Added by the cluster adapter (src/cluster/client.ts SANDBOX_HEADER): lets ClusterClient.isSandbox
    // recognise an external `sandbox serve`. A real API server never sends it.
    res.setHeader('X-Vela-Ts-Sandbox', '1');
    let logged = false;
    const url = new URL(req.url ?? '/', 'https://sandbox.invalid');
    const audit = (code: number) => {
      if (logged || !this.o.auditLog) return;
      logged = true;
      const entry: Obj = {
        time: new Date(this.o.clock.now()).toISOString(),
        method: req.method,
        path: req.url,
        code,
        userAgent: req.headers['user-agent'] ?? '',
      };
      if (req.headers['content-type']) entry.contentType = req.headers['content-type'];
      if (truthy(url.searchParams.get('watch'))) entry.watch = true;
      this.o.auditLog.write(`${JSON.stringify(entry)}\n`);
    };
    res.once('close', () => audit(res.statusCode));
    const send = (code: number, body: Obj | string, headers: Record<string, string | string[]> = {}) => {
      audit(code);
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
      // client-node cannot parse a response without a Content-Type, errors included.
      res.writeHead(code, { 'Content-Type': type, 'Cache-Control': 'no-cache, private', ...headers });
      res.end(text);
    };
    const fail = (e: unknown) => {
      const err =
        e instanceof StatusError
          ? e
          : new StatusError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`, {});
      send(err.code, err.toStatus(), err.headers);
    };

    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      try {
        if (tooBig)
          throw new StatusError(
            413,
            'RequestEntityTooLarge',
            `Request entity too large: limit is ${MAX_BODY}`,
          );
        const pending = this.route(req, res, url, Buffer.concat(chunks), send, audit);
        pending?.catch(fail);
      } catch (e) {
        fail(e);
      }
    });
  };

  private route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: Buffer,
    send: (code: number, body: Obj | string, headers?: Record<string, string | string[]>) => void,
    audit: (code: number) => void,
  ): Promise<void> | void {
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/';

    // Public info, like the apiserver's system:public-info-viewer: no token needed.
    if (path === '/version' && method === 'GET') return send(200, VERSION_INFO);
    if (['/healthz', '/livez', '/readyz'].includes(path)) return send(200, 'ok');

    const requester = this.o.authn.authenticate(req.headers.authorization);
    if (!requester) throw unauthorized();
    const user = impersonate(this.o.authz, requester, req.headers);
    // WithAuthorization comes before any handler, so a refused request learns nothing, not even whether the object exists.
    const attrs = requestAttributes(user, method, url);
    const decision = this.o.authz.authorize(attrs);
    if (!decision.allowed) throw forbidden(attrs, decision.reason);

    const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
    const isResource = (segs[0] === 'api' && segs.length > 2) || (segs[0] === 'apis' && segs.length > 3);
    // Injected failures hit resource requests only: discovery and OpenAPI stay reliable, since
    // kubectl cannot retry them and they are not what a rollout's retry logic needs to rehearse.
    if (isResource && this.o.failRate > 0 && this.o.random() < this.o.failRate) throw this.injected(method);

    // The service proxy: /api/v1/namespaces/{ns}/services/{id}/proxy[/{path}], any method.
    if (
      segs[0] === 'api' &&
      segs[1] === 'v1' &&
      segs[2] === 'namespaces' &&
      segs[4] === 'services' &&
      segs[6] === 'proxy'
    ) {
      const location = locateService(this.o.api.store, this.o.backends ?? new Map(), segs[3]!, segs[5]!);
      // The path after /proxy exactly as sent (escapes and a trailing slash kept), with its query.
      const rest = `/${url.pathname.split('/').slice(8).join('/')}${url.search}`;
      return forward(req, res, location, rest, body);
    }

    if (path === '/api' && method === 'GET') return this.discovery(req, send, true);
    if (path === '/apis' && method === 'GET') return this.discovery(req, send, false);
    if (segs[0] === 'openapi') return this.openapi(segs, send);
    if (segs[0] === 'api' && segs.length === 2 && segs[1] === 'v1' && method === 'GET')
      return send(200, resourceList(this.o.registry, '', 'v1'));
    if (segs[0] === 'apis' && segs.length === 2 && method === 'GET') {
      const g = apiGroupDoc(this.o.registry, segs[1]!);
      if (!g) throw pathNotFound();
      return send(200, g);
    }
    if (segs[0] === 'apis' && segs.length === 3 && method === 'GET') {
      if (!this.o.registry.inGroupVersion(segs[1]!, segs[2]!).length) throw pathNotFound();
      return send(200, resourceList(this.o.registry, segs[1]!, segs[2]!));
    }
    if (!isResource) throw pathNotFound();

    const [group, version, rest] =
      segs[0] === 'api' ? ['', segs[1]!, segs.slice(2)] : [segs[1]!, segs[2]!, segs.slice(3)];
    let watch = truthy(url.searchParams.get('watch'));
    if (rest[0] === 'watch') {
      watch = true;
      rest.shift();
    }
    let namespace: string | undefined;
    let plural: string;
    let name: string | undefined;
    let sub: string | undefined;
    const nsSub = rest.length === 3 && rest[0] === 'namespaces' && ['status', 'finalize'].includes(rest[2]!);
    if (rest[0] === 'namespaces' && rest.length >= 3 && !nsSub) {
      if (rest.length > 5) throw pathNotFound();
      [namespace, plural, name, sub] = [rest[1]!, rest[2]!, rest[3], rest[4]];
    } else {
      if (rest.length > 3) throw pathNotFound();
      [plural, name, sub] = [rest[0]!, rest[1], rest[2]];
    }
    const rt = this.o.registry.byPath(group, version, plural);
    if (!rt) throw pathNotFound();
    if (rt.namespaced && name !== undefined && namespace === undefined) throw pathNotFound();
    if (!rt.namespaced && namespace !== undefined) throw pathNotFound();
    if (sub !== undefined && !((sub === 'status' && rt.status) || (sub === 'scale' && rt.scale)))
      throw pathNotFound();

    if (rt.group === 'authorization.k8s.io') return this.review(req, rt, version, user, body, send);

    const t: Target = {
      rt,
      version,
      namespace,
      name,
      subresource: sub,
      query: url.searchParams,
      userAgent: String(req.headers['user-agent'] ?? ''),
    };
    const api = this.o.api;
    const reply = (r: { code: number; body: Obj; warnings?: string[] }) =>
      send(
        r.code,
        r.body,
        r.warnings?.length ? { Warning: r.warnings.map((w) => `299 - ${JSON.stringify(w)}`) } : {},
      );

    switch (method) {
      case 'GET': {
        // The scale subresource is its own kind (autoscaling/v1 Scale): it keeps its plain form.
        const table = sub === 'scale' ? undefined : negotiateTable(req.headers.accept);
        if (name === undefined && watch) return this.watches.serve(t, res, audit, table);
        const r = name !== undefined ? api.get(t) : api.list(t);
        if (!table) return reply(r);
        return reply({ code: r.code, body: this.asTable(t, table, r.body, name !== undefined) });
      }
      case 'POST':
        if (name !== undefined || (rt.namespaced && namespace === undefined)) throw methodNotAllowed();
        return reply(api.create(t, decodeBody(req, body, bodyKind(rt, version, sub))));
      case 'PUT':
        if (name === undefined) throw methodNotAllowed();
        return reply(api.replace(t, decodeBody(req, body, bodyKind(rt, version, sub))));
      case 'PATCH':
        if (name === undefined) throw methodNotAllowed();
        return reply(api.patch(t, String(req.headers['content-type'] ?? ''), body));
      case 'DELETE':
        if (name === undefined) return reply(api.deleteCollection(t));
        return reply(api.delete(t, body.length ? decodeBody(req, body, DELETE_OPTIONS) : undefined));
      default:
        throw methodNotAllowed();
    }
  }

  /** The access reviews: create-only, answered for the requesting user and never stored. */
  private review(
    req: IncomingMessage,
    rt: ResourceType,
    version: string,
    user: UserInfo,
    body: Buffer,
    send: (code: number, body: Obj) => void,
  ): void {
    if (req.method !== 'POST') throw methodNotAllowed();
    // kubectl auth can-i sends its review as protobuf (client-go's default for built-in kinds).
    const obj = decodeBody(req, body, bodyKind(rt, version));
    if (!isObj(obj)) throw badRequest('the request body must be a JSON or YAML object');
    const answer =
      rt.kind === 'SelfSubjectAccessReview'
        ? selfSubjectAccessReview(this.o.authz, user, obj)
        : selfSubjectRulesReview(this.o.authz, user, obj);
    send(201, answer);
  }

  /** The Table of a get (one object) or list answer, as apiserver transformResponseObject builds it. */
  private asTable(t: Target, table: TableVersion, body: Obj, single: boolean): Obj {
    const include = includeObjectOption(t.query);
    const items = single ? [body as KObject] : (body.items as KObject[]);
    const meta = body.metadata as Obj;
    const listMeta: Obj = single ? { resourceVersion: meta.resourceVersion } : { ...meta };
    return toTable({
      rt: t.rt,
      version: t.version,
      table,
      items,
      listMeta,
      include,
      now: this.o.clock.now(),
    });
  }

  private injected(method: string): StatusError {
    const choices = method === 'GET' ? [500, 503, 429] : [500, 503, 429, 409];
    const code = choices[Math.floor(this.o.random() * choices.length) % choices.length]!;
    switch (code) {
      case 429:
        return new StatusError(
          429,
          'TooManyRequests',
          'Too many requests, please try again later.',
          { retryAfterSeconds: 1 },
          { 'Retry-After': '1' },
        );
      case 503:
        return new StatusError(
          503,
          'ServiceUnavailable',
          'sandbox: injected failure (--fail-rate): the server is currently unable to handle the request',
          {},
        );
      case 409:
        return new StatusError(
          409,
          'Conflict',
          'Operation cannot be fulfilled: sandbox: injected conflict (--fail-rate); please apply your changes to the latest version and try again',
          {},
        );
      default:
        return new StatusError(
          500,
          'InternalError',
          'Internal error occurred: sandbox: injected failure (--fail-rate)',
          { causes: [{ message: 'sandbox: injected failure (--fail-rate)' }] },
        );
    }
  }

  private discovery(
    req: IncomingMessage,
    send: (code: number, body: Obj, headers?: Record<string, string>) => void,
    core: boolean,
  ): void {
    const fmt = negotiateDiscovery(req.headers.accept);
    // Vary: Accept, so caches keep the two formats apart (the apiserver sets it too).
    if (fmt === 'v2' || fmt === 'v2beta1') {
      return send(200, aggregated(this.o.registry, core, fmt), {
        'Content-Type': fmt === 'v2' ? AGGREGATED_V2 : AGGREGATED_V2BETA1,
        Vary: 'Accept',
      });
    }
    return send(200, core ? apiVersions(this.o.address()) : apiGroupList(this.o.registry), {
      Vary: 'Accept',
    });
  }

  private openapi(
    segs: string[],
    send: (code: number, body: Obj | string, headers?: Record<string, string>) => void,
  ): void {
    if (segs[1] !== 'v3') throw pathNotFound();
    if (segs.length === 2) return send(200, openApiRoot(this.o.registry));
    const gv = segs.slice(2).join('/');
    const doc = allOpenApiDocs(this.o.registry).find((d) => d.gv === gv);
    if (!doc) throw pathNotFound();
    send(200, doc.bytes.toString('utf8'), { 'Content-Type': 'application/json' });
  }
}

/** What a request body should hold: its kind, and whether protobuf can carry it (not for custom resources). */
interface BodyKind {
  apiVersion: string;
  kind: string;
  custom: boolean;
}

function bodyKind(rt: ResourceType, version: string, sub?: string): BodyKind {
  if (sub === 'scale') return { apiVersion: 'autoscaling/v1', kind: 'Scale', custom: false };
  return { apiVersion: apiVersionOf(rt, version), kind: rt.kind, custom: rt.custom };
}

const DELETE_OPTIONS: BodyKind = { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions', custom: false };

/** The body media types the sandbox's serializers read: custom resources have no protobuf form. */
const BODY_TYPES = ['application/json', 'application/yaml'];
const BUILTIN_BODY_TYPES = [...BODY_TYPES, PROTOBUF];

function decodeBody(req: IncomingMessage, body: Buffer, expected: BodyKind): unknown {
  const type = String(req.headers['content-type'] ?? '');
  // NegotiateInputSerializer: no Content-Type is the first serializer's, JSON (`kubectl scale
  // --current-replicas` sends none); a body in a type no serializer reads is a 415 with the
  // accepted types, not a parse error.
  const media = type.trim() === '' ? 'application/json' : type.split(';')[0]!.trim().toLowerCase();
  const accepted = expected.custom ? BODY_TYPES : BUILTIN_BODY_TYPES;
  if (!accepted.includes(media)) throw unsupportedBodyType(accepted);
  if (media === PROTOBUF) return decodeProtobuf(body, expected);
  const text = body.toString('utf8');
  try {
    if (media === 'application/yaml') return yaml.load(text);
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
}
