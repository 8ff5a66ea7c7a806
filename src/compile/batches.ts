import type { BatchSize, TraitOf } from '../appfile/types.js';

/**
 * Rollout batch arithmetic (SPEC §3, KubeVela `calculateNewBatchTarget`): the replicas the target
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

export function resolveBatch(size: BatchSize, total: number): number {
  if (typeof size === 'number') return size;
  const pct = Number(size.slice(0, -1));
  return Math.ceil((total * pct) / 100);
}

/** Problems with a batch plan, as sentences; empty when valid. Mirrors `verifyBatchesWithRollout`. */
export function batchProblems(rollout: TraitOf<'rollout'>['properties']): string[] {
  const total = rollout.targetSize;
  const batches = rollout.rolloutBatches;
  if (!batches) return [];
  if (batches.length === 0) return ['rolloutBatches needs at least one batch'];
  const sizes = batches.map((b) => resolveBatch(b.replicas, total));
  const problems: string[] = [];
  const beforeLast = sizes.slice(0, -1).reduce((a, b) => a + b, 0);
  if (batches.length > 1 && beforeLast >= total) {
    problems.push(
      `the batches before the last add up to ${beforeLast}, which must be less than targetSize ${total}`,
    );
  }
  if (batches.every((b) => typeof b.replicas === 'number')) {
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (sum !== total) problems.push(`the batches add up to ${sum} but targetSize is ${total}`);
  }
  return problems;
}

/** The index of the last batch a partition lets roll (KubeVela: a partition past the end means all). */
export function lastBatch(count: number, partition: number | undefined): number {
  return partition === undefined ? count - 1 : Math.min(partition, count - 1);
}
