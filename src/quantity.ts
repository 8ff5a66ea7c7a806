/**
 * Kubernetes resource quantities (`500m`, `1Gi`, `0.5`), parsed and printed the way apimachinery's
 * `resource.Quantity` does (pkg/api/resource/quantity.go, suffix.go, amount.go), because a real
 * apiserver stores what it parsed, in canonical form: `0.5` comes back as `500m`, `1024Mi` as
 * `1Gi`, `1000m` as `1`. Shared by every layer (the sandbox stores quantities so, vela-ts compares
 * them by value), so it depends on none.
 */

export type QuantityFormat = 'DecimalExponent' | 'BinarySI' | 'DecimalSI';

export interface Quantity {
  /** The value is `mantissa * 10^scale`. */
  mantissa: bigint;
  scale: number;
  format: QuantityFormat;
  /** The text as given, when apimachinery keeps it (it is then already canonical, up to a sign or leading zeros). */
  kept?: string;
}

export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const SUFFIX_ERROR = "unable to parse quantity's suffix";

export class QuantityError extends Error {}

const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const SUFFIX_CHARS = 'eEinumkKMGTP';
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

interface Split {
  positive: boolean;
  num: string;
  denom: string;
  suffix: string;
}

/** parseQuantityString: sign, digits with leading zeros dropped, fraction digits, suffix. */
function split(str: string): Split {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (str[0] === '-') {
    positive = false;
    pos++;
  } else if (str[0] === '+') pos++;
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, num: '0', denom: '', suffix: '' };
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  const num = str.slice(pos, i) || '0';
  pos = i;
  let denom = '';
  if (str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    pos = i;
  }
  const suffixStart = pos;
  while (pos < end && SUFFIX_CHARS.includes(str[pos]!)) pos++;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

function interpret(suffix: string): { base: 2 | 10; exponent: number; format: QuantityFormat } {
  if (suffix in DECIMAL) return { base: 10, exponent: DECIMAL[suffix]!, format: 'DecimalSI' };
  if (suffix in BINARY) return { base: 2, exponent: BINARY[suffix]!, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?\d+$/.test(suffix.slice(1))) {
    return { base: 10, exponent: Number(suffix.slice(1)), format: 'DecimalExponent' };
  }
  throw new QuantityError(SUFFIX_ERROR);
}

const MAX_INT64 = (1n << 63n) - 1n;
const pow10 = (n: number) => 10n ** BigInt(n);
const abs = (n: bigint) => (n < 0n ? -n : n);

/** ParseQuantity. A JSON number is read from its decimal text, as the apiserver's decoder does. */
export function parseQuantity(input: string | number): Quantity {
  const str = typeof input === 'number' ? String(input) : input;
  if (str.length === 0) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  if (str === '0') return { mantissa: 0n, scale: 0, format: 'DecimalSI', kept: '0' };
  const { positive, num, denom, suffix } = split(str);
  const { base, exponent, format: parsedFormat } = interpret(suffix);
  let format = parsedFormat;
  const digits = BigInt(num + denom) * (positive ? 1n : -1n);
  let mantissa: bigint;
  let scale: number;
  if (base === 10) {
    mantissa = digits;
    scale = exponent - denom.length;
  } else {
    mantissa = digits * (1n << BigInt(exponent));
    scale = -denom.length;
  }

  // apimachinery keeps the text of a quantity it could hold as an int64 and that is already in
  // canonical form (it then marshals those exact bytes back).
  let kept: string | undefined;
  const shifted = num + denom;
  if (base === 10) {
    const s = exponent - denom.length;
    if (18 - shifted.length >= 0 && s >= -9 && s % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0')
      kept = str;
  } else if (denom.length === 0 && 15 - num.length - Math.trunc((exponent * 3) / 10) - 1 >= 0) {
    const v = BigInt(num);
    if (abs(v * (1n << BigInt(exponent))) <= MAX_INT64 && v % 8n !== 0n) kept = str;
  }

  // Nothing finer than a nano: round away from zero.
  if (scale < -9 && mantissa !== 0n) {
    const f = pow10(-9 - scale);
    const m = abs(mantissa);
    const q = m / f + (m % f === 0n ? 0n : 1n);
    mantissa = mantissa < 0n ? -q : q;
    scale = -9;
  }
  if (format === 'BinarySI' && compare({ mantissa, scale }, { mantissa: MAX_INT64, scale: 0 }) > 0) {
    mantissa = MAX_INT64;
    scale = 0;
  }
  if (format === 'BinarySI' && mantissa > 0n && compare({ mantissa, scale }, { mantissa: 1n, scale: 0 }) < 0)
    format = 'DecimalSI';
  return kept === undefined ? { mantissa, scale, format } : { mantissa, scale, format, kept };
}

/** -1, 0 or 1 as a < b, a = b, a > b (by value). */
export function compare(
  a: Pick<Quantity, 'mantissa' | 'scale'>,
  b: Pick<Quantity, 'mantissa' | 'scale'>,
): number {
  const s = Math.min(a.scale, b.scale);
  const x = a.mantissa * pow10(a.scale - s);
  const y = b.mantissa * pow10(b.scale - s);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The text apimachinery marshals a parsed quantity to (Quantity.MarshalJSON / CanonicalizeBytes). */
export function formatQuantity(q: Quantity): string {
  if (q.kept !== undefined) return q.kept;
  if (q.mantissa === 0n) return '0';
  let format = q.format;
  let integer: bigint | undefined;
  if (format === 'BinarySI') {
    const small =
      compare(q, { mantissa: -1024n, scale: 0 }) > 0 && compare(q, { mantissa: 1024n, scale: 0 }) < 0;
    if (q.scale >= 0) integer = q.mantissa * pow10(q.scale);
    else if (q.mantissa % pow10(-q.scale) === 0n) integer = q.mantissa / pow10(-q.scale);
    // Below 1024, or not a whole number of bytes: shown in decimal rather than rounded.
    if (small || integer === undefined) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    let v = integer!;
    let e = 0;
    while (v % 1024n === 0n) {
      v /= 1024n;
      e += 10;
    }
    const suffix = Object.entries(BINARY).find(([, x]) => x === e)?.[0] ?? '';
    return `${v}${suffix}`;
  }
  // Decimal: factors of ten into the exponent, then the exponent down to a multiple of three.
  let m = q.mantissa;
  let e = q.scale;
  while (m % 10n === 0n) {
    m /= 10n;
    e++;
  }
  while (e % 3 !== 0) {
    m *= 10n;
    e--;
  }
  if (format === 'DecimalExponent') return e === 0 ? `${m}` : `${m}e${e}`;
  // apimachinery prints no suffix for an exponent its table lacks (above E); so does this.
  const suffix = Object.entries(DECIMAL).find(([, x]) => x === e)?.[0] ?? '';
  return `${m}${suffix}`;
}

/** The canonical text of a quantity; throws QuantityError when it is not one. */
export function canonicalQuantity(input: string | number): string {
  return formatQuantity(parseQuantity(input));
}

/** True when both are quantities of the same value (`0.5` and `500m`, `1Gi` and `1024Mi`). */
export function sameQuantity(a: unknown, b: unknown): boolean {
  if (!(typeof a === 'string' || typeof a === 'number') || !(typeof b === 'string' || typeof b === 'number'))
    return false;
  try {
    return compare(parseQuantity(a), parseQuantity(b)) === 0;
  } catch {
    return false;
  }
}
