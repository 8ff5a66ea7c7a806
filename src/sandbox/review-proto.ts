/**
 * The protobuf bodies of the access reviews. client-go's typed clients send built-in kinds as
 * `application/vnd.kubernetes.protobuf` and never fall back to JSON, so `kubectl auth can-i`
 * POSTs its SelfSubjectAccessReview (and `--list` its SelfSubjectRulesReview) that way. This reads
 * exactly those two messages: the envelope (magic `k8s\0`, then runtime.Unknown: 1 typeMeta
 * {1 apiVersion, 2 kind}, 2 raw), then the fields of k8s.io/api/authorization/v1/generated.proto
 * that carry the question. metadata and status are not read (a server ignores what a client puts
 * in status; the reviews have no use for metadata). The answer goes back as JSON, which client-go
 * decodes by the response's Content-Type.
 */
import { badRequest } from './errors.js';
import type { Obj } from './util.js';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Field number -> string fields of a message, and its nested messages by field number. */
interface Message {
  strings: Map<number, string>;
  bytes: Map<number, Buffer>;
}

function readVarint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (let i = at; i < buf.length && shift < 64; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) return [value, i + 1];
  }
  throw badRequest('protobuf: truncated varint');
}

/** The length-delimited fields of a message (the last occurrence wins, as for optional fields). */
function parse(buf: Buffer): Message {
  const bytes = new Map<number, Buffer>();
  let at = 0;
  while (at < buf.length) {
    const [key, next] = readVarint(buf, at);
    at = next;
    const field = Math.floor(key / 8);
    switch (key % 8) {
      case 0:
        at = readVarint(buf, at)[1];
        break;
      case 1:
        at += 8;
        break;
      case 5:
        at += 4;
        break;
      case 2: {
        const [len, start] = readVarint(buf, at);
        if (start + len > buf.length) throw badRequest('protobuf: truncated field');
        bytes.set(field, buf.subarray(start, start + len));
        at = start + len;
        break;
      }
      default:
        throw badRequest(`protobuf: unsupported wire type ${key % 8}`);
    }
  }
  if (at > buf.length) throw badRequest('protobuf: truncated message');
  const strings = new Map([...bytes].map(([k, v]) => [k, v.toString('utf8')]));
  return { strings, bytes };
}

function strings(buf: Buffer | undefined, names: string[]): Obj | undefined {
  if (!buf) return undefined;
  const m = parse(buf);
  const out: Obj = {};
  names.forEach((n, i) => {
    const v = m.strings.get(i + 1);
    if (v) out[n] = v;
  });
  return out;
}

/**
 * The JSON form of a protobuf SelfSubjectAccessReview or SelfSubjectRulesReview body, or a 400
 * for anything else (this is not a general protobuf decoder).
 */
export function decodeReview(body: Buffer): Obj {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw badRequest('protobuf: the body does not start with the Kubernetes envelope');
  const unknown = parse(body.subarray(4));
  const typeMeta = parse(unknown.bytes.get(1) ?? Buffer.alloc(0));
  const apiVersion = typeMeta.strings.get(1) ?? '';
  const kind = typeMeta.strings.get(2) ?? '';
  const raw = parse(unknown.bytes.get(2) ?? Buffer.alloc(0));
  const specBytes = raw.bytes.get(2);
  const spec: Obj = {};
  if (kind === 'SelfSubjectAccessReview') {
    const s = specBytes ? parse(specBytes) : undefined;
    const ra = strings(s?.bytes.get(1), [
      'namespace',
      'verb',
      'group',
      'version',
      'resource',
      'subresource',
      'name',
    ]);
    const nra = strings(s?.bytes.get(2), ['path', 'verb']);
    if (ra) spec.resourceAttributes = ra;
    if (nra) spec.nonResourceAttributes = nra;
  } else if (kind === 'SelfSubjectRulesReview') {
    const ns = specBytes ? parse(specBytes).strings.get(1) : undefined;
    if (ns) spec.namespace = ns;
  } else {
    throw badRequest(
      `protobuf: the sandbox reads only SelfSubjectAccessReview and SelfSubjectRulesReview, not "${kind}"`,
    );
  }
  return { apiVersion, kind, metadata: {}, spec };
}
