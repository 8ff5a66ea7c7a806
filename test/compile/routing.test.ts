import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { canaryRouting, type KubeObject } from '../../src/compile/index.js';

// canaryRouting reads back what canaryObjects wrote: checked against the golden manifests, which
// are reviewed like code, so the reader and the writer cannot drift apart unnoticed.

const golden = (f: string) => readFileSync(path.join(import.meta.dirname, '../golden', f), 'utf8');
const asMaps = (r: ReturnType<typeof canaryRouting>) => ({
  traffic: Object.fromEntries(r.traffic),
  subsets: Object.fromEntries(r.subsets),
});

describe('canaryRouting, the inverse of the canary-traffic objects', () => {
  it('GIVEN the first deploy render THEN reviews has one plain route (no weights) and subset reviews-v1; the gateway route is not read', () => {
    const objects = parseAllDocuments(golden('bookinfo/render.yaml')).map((d) => d.toJS() as KubeObject);
    expect(objects.some((o) => o.kind === 'VirtualService' && o.metadata.name === 'productpage')).toBe(true);
    expect(asMaps(canaryRouting(objects))).toEqual({
      traffic: { reviews: undefined },
      subsets: { reviews: ['reviews-v1'] },
    });
  });

  it('GIVEN each step of the golden rollout plan THEN the routing read back is what the step says it moved to', () => {
    const plan = JSON.parse(golden('bookinfo/plan-rollout.json')) as {
      steps: { name: string; manifests: KubeObject[] }[];
    };
    expect(plan.steps.map((s) => [s.name, asMaps(canaryRouting(s.manifests))])).toEqual([
      [
        'rollout-1st-batch',
        {
          traffic: {
            reviews: [
              { revision: 'reviews-v1', weight: 90 },
              { revision: 'reviews-v2', weight: 10 },
            ],
          },
          subsets: { reviews: ['reviews-v1', 'reviews-v2'] },
        },
      ],
      [
        'manual-approval',
        {
          traffic: {
            reviews: [
              { revision: 'reviews-v1', weight: 90 },
              { revision: 'reviews-v2', weight: 10 },
            ],
          },
          subsets: { reviews: ['reviews-v1', 'reviews-v2'] },
        },
      ],
      [
        'rollout-rest',
        {
          traffic: { reviews: [{ revision: 'reviews-v2', weight: 100 }] },
          subsets: { reviews: ['reviews-v2'] },
        },
      ],
    ]);
  });
});
