import { cumulativeTargets, lastBatch } from '../../src/compile/index.js';

describe('rollout batch arithmetic', () => {
  it('GIVEN integer batches THEN the target grows by each batch and ends on targetSize', () => {
    expect(
      cumulativeTargets({
        targetSize: 5,
        rolloutBatches: [{ replicas: 1 }, { replicas: 2 }, { replicas: 2 }],
      }),
    ).toEqual([1, 3, 5]);
  });

  it('GIVEN percentages THEN they resolve against targetSize rounding up, the last batch landing exactly', () => {
    expect(
      cumulativeTargets({
        targetSize: 5,
        rolloutBatches: [{ replicas: '10%' }, { replicas: '30%' }, { replicas: '60%' }],
      }),
    ).toEqual([1, 3, 5]);
    expect(
      cumulativeTargets({ targetSize: 3, rolloutBatches: [{ replicas: '50%' }, { replicas: '50%' }] }),
    ).toEqual([2, 3]);
  });

  it('GIVEN no batches THEN the rollout is one batch of targetSize', () => {
    expect(cumulativeTargets({ targetSize: 4 })).toEqual([4]);
  });

  it('GIVEN a partition past the last batch THEN all batches roll (as KubeVela)', () => {
    expect(lastBatch(2, 5)).toBe(1);
    expect(lastBatch(3, 0)).toBe(0);
    expect(lastBatch(3, undefined)).toBe(2);
  });
});
