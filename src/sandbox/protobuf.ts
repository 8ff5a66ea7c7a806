/**
 * Request bodies in `application/vnd.kubernetes.protobuf`, which client-go's typed clients send
 * for every built-in kind and never fall back from: `kubectl create namespace|deployment|
 * configmap|secret|service|role|rolebinding...`, `kubectl auth can-i`. The envelope is
 * apimachinery's protobuf serializer's: the magic `k8s\0`, then a runtime.Unknown whose typeMeta
 * names the kind and whose raw holds the object's message (contentEncoding and contentType are
 * not read, as upstream). The object becomes the JSON object a JSON client would have sent
 * (proto-json.ts), so creation, defaults, validation and answers go through the JSON path's code.
 */
import { badRequest, unsupportedBodyType } from './errors.js';
import { messageJson } from './proto-json.js';
import { protoType } from './proto-schema.js';
import type { Obj } from './util.js';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from('k8s\0', 'latin1');
const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/**
 * The package of a group version's k8s.io/api generated.proto: `v1` -> `k8s.io.api.core.v1`,
 * `apps/v1` -> `k8s.io.api.apps.v1`, `rbac.authorization.k8s.io/v1` -> `k8s.io.api.rbac.v1`.
 * Groups outside Kubernetes' own (networking.istio.io) have none.
 */
function packageOf(apiVersion: string): string | undefined {
  const slash = apiVersion.lastIndexOf('/');
  const [group, version] =
    slash < 0 ? ['', apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
  if (group === '') return `k8s.io.api.core.${version}`;
  if (!group.includes('.')) return `k8s.io.api.${group}.${version}`;
  if (group.endsWith('.k8s.io')) return `k8s.io.api.${group.split('.')[0]}.${version}`;
  return undefined;
}

/**
 * The JSON object of a protobuf body sent to an endpoint of `expected` (which also fills in an
 * empty typeMeta, as upstream's copyKindDefaults). A body that is not a protobuf message is a 400,
 * as the apiserver's decode errors are; one of a kind the definitions do not have is a 415 naming
 * the media types that endpoint can still read.
 */
export function decodeProtobuf(body: Buffer, expected: { apiVersion: string; kind: string }): Obj {
  const unrecognized = (why: string) =>
    badRequest(`the object provided is unrecognized (must be of type ${expected.kind}): ${why}`);
  if (!body.length) throw unrecognized('empty data');
  if (!body.subarray(0, MAGIC.length).equals(MAGIC))
    throw unrecognized(
      'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]',
    );
  if (body.length === MAGIC.length) throw unrecognized('empty body');
  const envelope = protoType('k8s.io.apimachinery.pkg.runtime.Unknown')!;
  let unknown: { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Uint8Array };
  try {
    unknown = envelope.decode(body.subarray(MAGIC.length)) as typeof unknown;
  } catch (e) {
    throw unrecognized((e as Error).message);
  }
  const apiVersion = unknown.typeMeta?.apiVersion || expected.apiVersion;
  const kind = unknown.typeMeta?.kind || expected.kind;
  // DeleteOptions is registered in every group version (metav1.AddToGroupVersion).
  const pkg = kind === 'DeleteOptions' ? META : packageOf(apiVersion);
  const type = pkg === undefined ? undefined : protoType(`${pkg}.${kind}`);
  if (!type) throw unsupportedBodyType(['application/json', 'application/yaml']);
  let message;
  try {
    message = type.decode(unknown.raw ?? new Uint8Array());
  } catch (e) {
    const version = apiVersion.slice(apiVersion.lastIndexOf('/') + 1);
    throw badRequest(
      `${kind} in version "${version}" cannot be handled as a ${expected.kind}: ${(e as Error).message}`,
    );
  }
  return { apiVersion, kind, ...messageJson(type, message) };
}
