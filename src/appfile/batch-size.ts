/**
 * A batch's size, resolved: kept apart from the schema so the compiler (and so `status`) can use
 * it without loading the YAML parser the schema needs.
 */
import type { BatchSize } from './types.js';

/** Replicas of a batch once percentages are resolved against targetSize (rounding up, as KubeVela). */
export function resolveBatch(size: BatchSize, targetSize: number): number {
  return typeof size === 'number' ? size : Math.ceil((targetSize * Number(size.slice(0, -1))) / 100);
}
