import type { KubeObject } from '../compile/index.js';
import { UsageError } from '../errors.js';
import type { AppState } from '../workflow/index.js';
import { stateObject } from './store.js';

// What a Kubernetes API server refuses to store, checked before the first write so that an app too
// large for the cluster is a usage error (exit 2, nothing written) rather than a 413 or a 422 after
// half of it was applied.

/** apimachinery's TotalAnnotationSizeLimitB: keys and values of one object's annotations. */
const ANNOTATIONS_MAX = 256 * 1024;
/** etcd's default request limit (the apiserver answers 413 above it, about 1.5 MiB). */
const OBJECT_MAX = 1.5 * 1024 * 1024;
/** A ConfigMap's data, keys and values together (the apiserver's MaxSecretSize, 1 MiB). */
const CONFIGMAP_DATA_MAX = 1024 * 1024;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const kib = (n: number) => `${Math.ceil(n / 1024)} KiB`;

function objectProblems(o: KubeObject): string[] {
  const name = `${o.kind}/${o.metadata.name}`;
  const problems: string[] = [];
  const sum = (m: Record<string, string> | undefined) =>
    Object.entries(m ?? {}).reduce((n, [k, v]) => n + bytes(k) + bytes(v), 0);
  const template = (o.spec as { template?: { metadata?: { annotations?: Record<string, string> } } })
    ?.template;
  for (const [where, annotations] of [
    ['', sum(o.metadata.annotations)],
    [' pod template', sum(template?.metadata?.annotations)],
  ] as const) {
    if (annotations > ANNOTATIONS_MAX)
      problems.push(
        `${name}:${where} annotations take ${kib(annotations)}; Kubernetes allows ${kib(ANNOTATIONS_MAX)} in all`,
      );
  }
  const size = bytes(JSON.stringify(o));
  if (size > OBJECT_MAX)
    problems.push(`${name} is ${kib(size)}; the API server stores at most about 1.5 MiB per object`);
  if (o.kind === 'ConfigMap') {
    const data = Object.entries((o as { data?: Record<string, string> }).data ?? {}).reduce(
      (n, [k, v]) => n + bytes(k) + bytes(v),
      0,
    );
    if (data > CONFIGMAP_DATA_MAX)
      problems.push(
        `${name} (the app's recorded state) would hold ${kib(data)}; a ConfigMap holds at most 1 MiB`,
      );
  }
  return problems;
}

/** Refuses a state whose objects (`objects`, as rendered from it), or whose own record, the cluster could not store. */
export function checkLimits(state: AppState, objects: readonly KubeObject[]): void {
  const problems = [...objects, stateObject(state)].flatMap(objectProblems);
  if (problems.length > 0) {
    throw new UsageError(
      `the app is too large for the cluster, nothing was sent:\n  ${problems.join('\n  ')}`,
    );
  }
}
