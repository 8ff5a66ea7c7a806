import { Registry } from '../../src/sandbox/registry.js';
import { rootView, unknownFields } from '../../src/sandbox/schema.js';
import { validateObject } from '../../src/sandbox/validate.js';
import type { KubeObject } from '../../src/kube.js';

const registry = new Registry();

/**
 * Every way a real API server would refuse `obj`, checked against the upstream schemas in
 * schemas/ (Kubernetes 1.32 OpenAPI, Istio 1.29 CRDs): wrong types, missing required fields,
 * invalid names, and fields the schema does not declare (what strict validation and server-side
 * apply reject). Empty when the object is valid.
 */
export function schemaProblems(obj: KubeObject): string[] {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const rt = registry.byKind(group ?? '', obj.kind);
  if (!rt) return [`no schema for ${obj.apiVersion} ${obj.kind}`];
  const problems = unknownFields(obj, rootView(rt)).map((f) => `unknown field "${f}"`);
  try {
    validateObject(rt, obj as never, undefined, version ?? 'v1');
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  }
  return problems;
}
