import path from 'node:path';
import { kubevelaExamples } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

describe('a flaky API server (--fail-rate): 500, 503, 429 with Retry-After, 409, and cut watches', () => {
  let c: SandboxCluster;
  beforeAll(async () => {
    c = await new SandboxCluster(100, 0.08).start();
  });
  afterAll(() => c.stop());

  it('GIVEN 8% of requests failing THEN the whole walkthrough still lands exactly, with no error shown', async () => {
    const first = await c.vela(['up', path.join(kubevelaExamples, 'first-deploy.yaml')]);
    expect(first).toMatchObject({ code: 0 });
    const rollout = await c.vela(['up', path.join(kubevelaExamples, 'rollout-v2.yaml')]);
    expect(rollout).toMatchObject({ code: 0 });
    expect(rollout.stdout).toContain('suspended at step manual-approval');
    const resumed = await c.vela(['workflow', 'resume', 'book-info']);
    expect(resumed).toMatchObject({ code: 0 });
    expect(resumed.stderr).not.toMatch(/error/i);

    // The server really did fail requests along the way.
    const failures = c.audit().filter((r) => [409, 429, 500, 503].includes(r.code));
    expect(failures.length).toBeGreaterThan(0);
    expect(await c.routes('reviews')).toEqual([['reviews-v2', 100]]);
    expect(await c.subsets('reviews')).toEqual(['reviews-v2']);
    expect((await c.deployments())['reviews-v2']).toBe('2/2');
    expect((await c.deployments())['reviews-v1']).toBeUndefined();
  });
});
