import { resolveBatch } from '../appfile/batch-size.js';
import type { TraitOf } from '../appfile/types.js';

/**
 * Rollout batch arithmetic (KubeVela's `calculateNewBatchTarget`): the replicas the target
 * revision has after each batch. Percentages resolve against targetSize rounding up; the last
 * batch always lands exactly on targetSize, absorbing rounding.
 */
export function cumulativeTargets(rollout: TraitOf<'rollout'>['properties']): number[] {
  const total = rollout.targetSize;
  const batches =
    rollout.rolloutBatches && rollout.rolloutBatches.length > 0
      ? rollout.rolloutBatches
      : [{ replicas: total }];
  const out: number[] = [];
  let sum = 0;
  batches.forEach((b, i) => {
    sum += resolveBatch(b.replicas, total);
    out.push(i === batches.length - 1 ? total : Math.min(sum, total));
  });
  return out;
}

/** The index of the last batch a partition lets roll (KubeVela: a partition past the end means all). */
export function lastBatch(count: number, partition: number | undefined): number {
  return partition === undefined ? count - 1 : Math.min(partition, count - 1);
}
