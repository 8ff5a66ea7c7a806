import { readFileSync } from 'node:fs';
import path from 'node:path';
import { kubevelaExamples, repoRoot } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

const first = path.join(kubevelaExamples, 'first-deploy.yaml');
const release = readFileSync(path.join(repoRoot, 'examples/bookinfo/release.yaml'), 'utf8');
const V3 = 'docker.io/istio/examples-bookinfo-reviews-v3:1.16.2';

describe('releasing version after version with one file', () => {
  let c: SandboxCluster;
  beforeAll(async () => {
    c = await new SandboxCluster().start();
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
  });
  afterAll(() => c.stop());

  it.each([
    ['3.0', 'reviews-v1', 'reviews-v2'],
    ['3.1', 'reviews-v2', 'reviews-v3'],
    ['3.2', 'reviews-v3', 'reviews-v4'],
  ])(
    'GIVEN release.yaml with only its image changed to %s THEN it stops at its gate at 90/10 from %s to %s, and resume finishes at 100%%',
    async (tag, stable, canary) => {
      expect(release).toContain(V3);
      const file = c.file(`release-${tag}.yaml`, release.replace(V3, `registry.example/reviews:${tag}`));
      expect(await c.vela(['up', file, '--no-prompt'])).toMatchObject({ code: 0 });
      expect(await c.routes('reviews')).toEqual([
        [stable, 90],
        [canary, 10],
      ]);
      expect(await c.vela(['workflow', 'resume', 'book-info', '--no-prompt'])).toMatchObject({ code: 0 });
      expect(await c.routes('reviews')).toEqual([[canary, 100]]);
      expect(Object.keys(await c.deployments()).filter((d) => d.startsWith('reviews-'))).toEqual([canary]);
    },
  );
});
