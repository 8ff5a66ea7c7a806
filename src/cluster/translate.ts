/**
 * Turns what the API server (or the network) said into a ClusterError in the user's words. Only
 * the Status message is ever quoted, and always through redact(): never headers, bodies or tokens.
 */
import { ClusterError, KIND_NOT_SERVED } from '../errors.js';
import { redact } from '../redact.js';
import { qualifiedResource, type ResourceInfo } from './kinds.js';
import type { TransportError } from './transport.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'discover';

/** What was being done, for messages. */
export interface Operation {
  verb: Verb;
  kind: string;
  apiVersion: string;
  info?: ResourceInfo;
  name?: string;
  namespace?: string;
}

export interface Target {
  server: string;
  context: string;
}

/** A Kubernetes `Status` object, as far as we read it. */
export interface KubeStatus {
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
}

export function parseStatus(body: string): KubeStatus | undefined {
  try {
    const parsed = JSON.parse(body) as KubeStatus & { kind?: unknown };
    if (parsed && typeof parsed === 'object' && parsed.kind === 'Status') return parsed;
  } catch {
    // Not JSON (a proxy's HTML page, say): the status code alone has to do.
  }
  return undefined;
}

const statusText: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const defaultReason: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function describeStatus(code: number): string {
  const text = statusText[code];
  return text ? `${code} ${text}` : `HTTP ${code}`;
}

/** `Deployment "reviews-v1"`, or `deployments.apps` when there is no name. */
function what(op: Operation): string {
  if (op.name) return `${op.kind} "${op.name}"`;
  return op.info ? qualifiedResource(op.info) : op.kind;
}

function where(op: Operation): string {
  return op.namespace && op.info?.namespaced !== false ? ` in namespace "${op.namespace}"` : '';
}

function quote(message: string | undefined): string {
  const m = (message ?? '').trim();
  return m.length > 1000 ? `${m.slice(0, 1000)}…` : m;
}

/**
 * A 500 the API server gives for a server-side apply whose object has a field the schema does not
 * declare (apimachinery structuredmerge.go returns a plain error; kubernetes#122480). Retrying it
 * cannot help, so it is a rejection, not an outage.
 */
function isPermanentServerError(status: KubeStatus | undefined): boolean {
  const m = status?.message ?? '';
  return /failed to create typed patch object|field not declared in schema/.test(m);
}

export function isRetryableStatus(code: number, status: KubeStatus | undefined): boolean {
  if (code === 429 || code === 502 || code === 503 || code === 504) return true;
  if (code === 500) return !isPermanentServerError(status);
  return false;
}

export function statusError(
  op: Operation,
  target: Target,
  code: number,
  body: string,
  extra?: { attempts?: number; afterRetry?: boolean },
): ClusterError {
  const status = parseStatus(body);
  const reason = status?.reason || defaultReason[code] || '';
  const message = status?.message;
  const make = (text: string) => new ClusterError(redact(text), code, reason);

  switch (code) {
    case 401:
      return make(`the cluster rejected the credentials (401 Unauthorized) for context "${target.context}"`);
    case 403: {
      const verb = op.verb === 'discover' ? 'get' : op.verb;
      const res = op.info ? qualifiedResource(op.info) : op.kind;
      const obj = op.name ? `${res} "${op.name}"` : res;
      const ns = op.namespace && op.info?.namespaced !== false ? ` -n ${op.namespace}` : '';
      return make(
        `not allowed: cannot ${verb} ${obj}${where(op)} (403); \`kubectl auth can-i ${verb} ${res}${ns}\` checks it, and examples/rbac/role.yaml is the Role vela-ts needs`,
      );
    }
    case 404: {
      const d = status?.details;
      const missingNamespace =
        (d?.kind === 'namespaces' && op.info?.plural !== 'namespaces') ||
        /^namespaces "[^"]*" not found$/.test(message ?? '');
      if (missingNamespace && op.info?.plural !== 'namespaces') {
        const ns = d?.name || op.namespace || '';
        return make(
          `namespace "${ns}" does not exist (create it, or let \`vela-ts up\` do it with --create-namespace)`,
        );
      }
      if (!d?.name && (!message || /could not find the requested resource/.test(message))) {
        const hint = op.apiVersion.includes('istio.io') ? '; is Istio installed?' : '';
        return new ClusterError(
          redact(`the cluster does not serve ${op.kind} (${op.apiVersion})${hint}`),
          code,
          KIND_NOT_SERVED,
        );
      }
      return make(`${what(op)} not found${where(op)}`);
    }
    case 409: {
      if (reason === 'AlreadyExists') {
        const hint = extra?.afterRetry ? ' (an earlier attempt that got no answer may have created it)' : '';
        return make(`${what(op)} already exists${where(op)}${hint}`);
      }
      const applyConflict =
        /^Apply failed/.test(message ?? '') ||
        (status?.details?.causes ?? []).some((c) => c.reason === 'FieldManagerConflict');
      if (applyConflict) return make(`the cluster rejected ${what(op)}${where(op)}: ${quote(message)}`);
      return make(`${what(op)}${where(op)} was changed by someone else since it was read (409 Conflict)`);
    }
    case 410:
      return make(`the cluster no longer has the history asked for ${what(op)} (410 Gone)`);
    case 400:
    case 413:
    case 415:
    case 422:
      return make(`the cluster rejected ${what(op)}${where(op)}: ${quote(message) || describeStatus(code)}`);
    default: {
      if (code === 500 && isPermanentServerError(status)) {
        return make(`the cluster rejected ${what(op)}${where(op)}: ${quote(message)}`);
      }
      const tries = extra?.attempts && extra.attempts > 1 ? ` after ${extra.attempts} attempts` : '';
      const detail = quote(message);
      return make(
        `the cluster at ${target.server} could not ${op.verb} ${what(op)}${where(op)} (${describeStatus(code)})${tries}${detail ? `: ${detail}` : ''}`,
      );
    }
  }
}

export function networkError(target: Target, err: TransportError, attempts = 1): ClusterError {
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  // It answered before and now does not: not a wrong address but a server that stopped answering.
  if (err.code === 'ETIMEDOUT')
    return new ClusterError(
      redact(
        `the cluster at ${target.server} stopped answering (no answer within the request timeout${tries}); the workflow stays where it was recorded: continue it with \`vela-ts workflow resume\` once the cluster answers again`,
      ),
      0,
      err.code,
    );
  return new ClusterError(
    redact(
      `cannot reach the cluster at ${target.server} (${err.message})${tries}; check --kubeconfig/--context`,
    ),
    0,
    err.code,
  );
}
