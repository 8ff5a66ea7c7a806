import jsYaml from 'js-yaml';
import type { KubeObject } from '../compile/index.js';

/** Multi-document YAML; keys are already in canonical order, so js-yaml must not sort them. */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => jsYaml.dump(o, { noRefs: true, lineWidth: -1, sortKeys: false })).join('---\n');
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
