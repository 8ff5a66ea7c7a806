/**
 * Whether a live object already holds what vela-ts would write: `contains` (every field we set has
 * that value, as the server spells it back) and `differences` (the paths of those that do not).
 * Pure.
 */
import { sameQuantity } from '../quantity.js';

/**
 * True when every field we set already has that value on the live object. The server adds
 * defaults and status, so "contains" is the right question, not "equals"; a list must have the
 * same length (a removed route or subset is a change). `path` is where `wanted` sits in the object.
 */
export function contains(live: unknown, wanted: unknown, path = ''): boolean {
  // The server decodes into Go structs and encodes them back: an omitempty field holding its zero
  // value (an env var's `value: ""`, `initialDelaySeconds: 0`, an empty `args`) is not returned.
  if (live === undefined && isGoZero(wanted)) return true;
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(live) &&
      live.length === wanted.length &&
      wanted.every((w, i) => contains(live[i], w, `${path}[]`))
    );
  }
  if (wanted !== null && typeof wanted === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    return Object.entries(wanted).every(([k, v]) =>
      contains((live as Record<string, unknown>)[k], v, path ? `${path}.${k}` : k),
    );
  }
  if (live === wanted) return true;
  // Resource quantities come back in canonical form (`0.5` as `500m`, `1024Mi` as `1Gi`): by value.
  if (QUANTITY_PATH.test(path)) return sameQuantity(live, wanted);
  // Kubernetes returns intOrString ports in its own spelling; compare as text.
  const scalar = (v: unknown): v is string | number | boolean =>
    ['string', 'number', 'boolean'].includes(typeof v);
  return scalar(live) && scalar(wanted) && String(live) === String(wanted);
}

const QUANTITY_PATH = /(^|\.)resources\.(requests|limits)\.[^.]+$/;

function isGoZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0);
}

/**
 * The paths of the fields in `wanted` that the live object does not hold (a list that differs is
 * named as a whole). Empty when only fields we stopped setting changed.
 */
export function differences(live: unknown, wanted: unknown, prefix = ''): string[] {
  if (contains(live, wanted, prefix)) return [];
  if (wanted === null || typeof wanted !== 'object' || Array.isArray(wanted))
    return [prefix || '(whole object)'];
  if (live === null || typeof live !== 'object' || Array.isArray(live)) return [prefix || '(whole object)'];
  return Object.entries(wanted).flatMap(([k, v]) =>
    differences((live as Record<string, unknown>)[k], v, prefix ? `${prefix}.${k}` : k),
  );
}
