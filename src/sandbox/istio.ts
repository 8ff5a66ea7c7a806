import { StatusError } from './errors.js';
import type { ResourceType } from './registry.js';
import { isObj, type KObject, type Obj } from './util.js';

/**
 * What Istio's validating webhook (`validation.istio.io`, pkg/config/validation) refuses in the
 * Gateway, VirtualService and DestinationRule fields vela-ts writes, with its words. The apiserver
 * answers a webhook's denial as a 400 Status:
 * `admission webhook "validation.istio.io" denied the request: configuration is invalid: ...`.
 *
 * Istio 1.29 no longer requires weights to add up to 100 (istio/istio#39544): a negative weight is
 * refused, and so are several destinations whose weights are all 0.
 */
export function istioAdmission(rt: ResourceType, obj: KObject): void {
  if (rt.group !== 'networking.istio.io') return;
  const spec = isObj(obj.spec) ? obj.spec : {};
  let errs: Errs | undefined;
  switch (rt.kind) {
    case 'VirtualService':
      errs = virtualService(spec);
      break;
    case 'DestinationRule':
      errs = destinationRule(spec);
      break;
    case 'Gateway':
      errs = gateway(spec);
      break;
  }
  if (!errs) return;
  throw new StatusError(
    400,
    '',
    `admission webhook "validation.istio.io" denied the request: configuration is invalid: ${format(errs)}`,
  );
}

/** An accumulated Go error: one plain error, or a hashicorp multierror (its own list format). */
interface Errs {
  list: string[];
  multi: boolean;
}

/** Istio's appendErrors: nil stays nil, one error stays itself, two make a multierror. */
function append(a: Errs | undefined, b: Errs | string | undefined): Errs | undefined {
  const e = typeof b === 'string' ? { list: [b], multi: false } : b;
  if (!a) return e;
  if (!e) return a;
  return { list: [...a.list, ...e.list], multi: true };
}

/** multierror.Append: always a multierror, even of one. */
function multiAppend(a: Errs | undefined, msg: string): Errs {
  return { list: [...(a?.list ?? []), msg], multi: true };
}

function format(e: Errs): string {
  if (!e.multi) return e.list[0]!;
  if (e.list.length === 1) return `1 error occurred:\n\t* ${e.list[0]}\n\n`;
  return `${e.list.length} errors occurred:\n\t${e.list.map((m) => `* ${m}`).join('\n\t')}\n\n`;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const isDns1123Label = (s: string) => s.length <= 63 && DNS1123_LABEL.test(s);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

function validatePort(port: number): string | undefined {
  return port >= 1 && port <= 65535 ? undefined : `port number ${port} must be in the range 1..65535`;
}

function subsetName(name: string): string | undefined {
  if (name.length === 0) return 'subset name cannot be empty';
  return isDns1123Label(name) ? undefined : `subset name is invalid: ${name}`;
}

function destination(d: unknown): Errs | undefined {
  if (!isObj(d)) return undefined;
  let errs: Errs | undefined;
  if (d.host === '*') errs = append(errs, `invalid destination host ${String(d.host)}`);
  if (typeof d.subset === 'string' && d.subset !== '') errs = append(errs, subsetName(d.subset));
  if (isObj(d.port)) errs = append(errs, validatePort(num(d.port.number)));
  return errs;
}

/** validateHTTPRouteDestinations / validateRouteDestinations. */
function routeDestinations(routes: unknown[]): Errs | undefined {
  let errs: Errs | undefined;
  let total = 0;
  for (const r of routes) {
    if (!isObj(r)) {
      errs = multiAppend(errs, 'weight may not be nil');
      continue;
    }
    if (!isObj(r.destination)) errs = multiAppend(errs, 'destination is required');
    errs = append(errs, destination(r.destination));
    const w = num(r.weight);
    if (w < 0) errs = append(errs, `weight ${w} < 0`);
    total += w;
  }
  if (routes.length > 1 && total === 0) errs = append(errs, 'total destination weight = 0');
  return errs;
}

function virtualService(spec: Obj): Errs | undefined {
  let errs: Errs | undefined;
  for (const h of list(spec.http)) {
    if (!isObj(h)) continue;
    // A route, a redirect or a direct response: an HTTP route must say what happens to a request.
    if (h.redirect === undefined && h.directResponse === undefined && list(h.route).length === 0)
      errs = append(errs, 'HTTP route or redirect is required');
    errs = append(errs, routeDestinations(list(h.route)));
  }
  for (const t of list(spec.tcp)) if (isObj(t)) errs = append(errs, routeDestinations(list(t.route)));
  return errs;
}

function destinationRule(spec: Obj): Errs | undefined {
  let errs: Errs | undefined;
  for (const s of list(spec.subsets)) {
    if (!isObj(s)) continue;
    errs = append(errs, subsetName(typeof s.name === 'string' ? s.name : ''));
  }
  return errs;
}

function gateway(spec: Obj): Errs | undefined {
  let errs: Errs | undefined;
  for (const s of list(spec.servers)) {
    if (!isObj(s)) continue;
    if (!isObj(s.port)) errs = append(errs, 'port is required');
    else errs = append(errs, validatePort(num(s.port.number)));
  }
  return errs;
}
