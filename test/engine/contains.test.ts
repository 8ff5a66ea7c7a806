/**
 * Drift is judged against what a real server returns: quantities in canonical form and empty
 * omitempty fields left out, but nothing else read loosely.
 */
import { contains, differences } from '../../src/engine/contains.js';

const container = (c: Record<string, unknown>) => ({
  spec: { template: { spec: { containers: [{ name: 'api', ...c }] } } },
});

describe('contains: the live object holds what vela-ts set', () => {
  it('GIVEN resources in another spelling of the same value THEN they are held', () => {
    const wanted = container({
      resources: { requests: { cpu: '0.5', memory: '1024Mi' }, limits: { cpu: 2 } },
    });
    const live = container({ resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2' } } });
    expect(contains(live, wanted)).toBe(true);
  });

  it('GIVEN a different amount THEN it is a difference, named by its path', () => {
    const wanted = container({ resources: { requests: { cpu: '0.5' } } });
    const live = container({ resources: { requests: { cpu: '600m' } } });
    expect(contains(live, wanted)).toBe(false);
    expect(differences(live, wanted)).toEqual(['spec.template.spec.containers']);
  });

  it('GIVEN a zero value the server leaves out (empty env value, 0 delay, empty args) THEN it is held', () => {
    const wanted = container({
      args: [],
      env: [{ name: 'EMPTY', value: '' }],
      readinessProbe: { httpGet: { port: 80 }, initialDelaySeconds: 0 },
    });
    const live = container({ env: [{ name: 'EMPTY' }], readinessProbe: { httpGet: { port: 80 } } });
    expect(contains(live, wanted)).toBe(true);
  });

  it('GIVEN a quantity-like text outside resources THEN it is compared as text', () => {
    expect(
      contains(
        container({ env: [{ name: 'N', value: '1k' }] }),
        container({ env: [{ name: 'N', value: '1000' }] }),
      ),
    ).toBe(false);
  });

  it('GIVEN a non-empty value the live object lacks THEN it is not held', () => {
    expect(
      contains(container({ env: [{ name: 'N' }] }), container({ env: [{ name: 'N', value: 'x' }] })),
    ).toBe(false);
  });
});
