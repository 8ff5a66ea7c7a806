import type { Obj } from './util.js';

/**
 * A Kubernetes API error, answered as a `Status` body. Shapes follow apimachinery
 * `pkg/api/errors/errors.go` because client code (and vela-ts) switch on `reason` and `code`.
 */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Obj,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toStatus(): Obj {
    const s: Obj = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
    };
    if (this.reason) s.reason = this.reason;
    if (this.details) s.details = this.details;
    s.code = this.code;
    return s;
  }
}

/** What errors need to know about the resource: `deployments.apps`, kind `Deployment`. */
export interface GroupResource {
  group: string;
  plural: string;
  kind: string;
}

export function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.plural}.${gr.group}` : gr.plural;
}

export function qualifiedKind(gr: GroupResource): string {
  return gr.group ? `${gr.kind}.${gr.group}` : gr.kind;
}

export function notFound(gr: GroupResource, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualified(gr)} "${name}" not found`, {
    name,
    group: gr.group,
    kind: gr.plural,
  });
}

export function namespaceNotFound(ns: string): StatusError {
  return new StatusError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
}

export function pathNotFound(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, {
    name,
    group: gr.group,
    kind: gr.plural,
  });
}

export function staleConflict(gr: GroupResource, name: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(gr)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: gr.group, kind: gr.plural },
  );
}

export interface Cause {
  reason: string;
  message: string;
  field: string;
}

/** 422 Invalid; one cause prints bare, several print as a bracketed list, as apimachinery's aggregate does. */
export function invalid(gr: GroupResource, name: string, causes: Cause[]): StatusError {
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const body = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new StatusError(422, 'Invalid', `${qualifiedKind(gr)} "${name}" is invalid: ${body}`, {
    name,
    group: gr.group,
    kind: gr.kind,
    causes,
  });
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

export function patchOptionsInvalid(field: string, reason: string, message: string): StatusError {
  return invalid({ group: 'meta.k8s.io', plural: 'patchoptions', kind: 'PatchOptions' }, '', [
    { reason, message, field },
  ]);
}

export function methodNotAllowed(): StatusError {
  return new StatusError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    {},
  );
}

export function unsupportedMediaType(contentType: string, accepted: string[]): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    contentType ? {} : {},
  );
}

/** A request body no serializer reads: negotiation's unsupportedMediaTypeError, a Status without details. */
export function unsupportedBodyType(accepted: string[]): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

export function internalError(message: string): StatusError {
  // SSA failures on undeclared fields come back as a bare 500 with no reason (apimachinery
  // structuredmerge.go returns a plain error); clients must not treat them as retryable.
  return new StatusError(500, '', message);
}

export function unauthorized(): StatusError {
  return new StatusError(401, 'Unauthorized', 'Unauthorized');
}

/** A 422 from a failed JSON patch, as `NewGenericServerResponse` builds it. */
export function genericInvalid(serverMessage: string): StatusError {
  return new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message: serverMessage }],
  });
}
