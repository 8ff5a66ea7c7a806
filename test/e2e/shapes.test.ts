import { readFileSync } from 'node:fs';
import path from 'node:path';
import { kubevelaExamples, repoRoot } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

const shopApp = path.join(repoRoot, 'examples/checkout/app.yaml');
const shopCanary = readFileSync(path.join(repoRoot, 'examples/checkout/canary.yaml'), 'utf8');
const first = path.join(kubevelaExamples, 'first-deploy.yaml');
const rollout = path.join(kubevelaExamples, 'rollout-v2.yaml');

interface StatusJson {
  workflow: { phase: string; steps: { name: string; type: string; phase: string }[] };
  components: {
    name: string;
    revisions: { name: string; replicas: number; readyReplicas: number }[];
    traffic?: { revision: string; weight: number }[];
  }[];
}

describe('a held-out shape: four percent batches, two gates and a timed soak, canary component not first', () => {
  let c: SandboxCluster;
  beforeAll(async () => {
    c = await new SandboxCluster().start();
    await c.createNamespace('shop');
  });
  afterAll(() => c.stop());

  const status = async () =>
    JSON.parse((await c.vela(['status', 'shop', '-n', 'shop', '-o', 'json'])).stdout) as StatusJson;
  const checkout = async () => {
    const s = await status();
    const comp = s.components.find((x) => x.name === 'checkout')!;
    return {
      ready: Object.fromEntries(comp.revisions.map((r) => [r.name, `${r.readyReplicas}/${r.replicas}`])),
      traffic: comp.traffic?.map((t) => `${t.revision}=${t.weight}`) ?? [],
    };
  };

  it('deploys 8 replicas of checkout-v1 and the storefront behind its gateway', async () => {
    expect(await c.vela(['up', shopApp])).toMatchObject({ code: 0 });
    expect(await checkout()).toEqual({ ready: { 'checkout-v1': '8/8' }, traffic: [] });
    expect(await c.routes('storefront', 'shop')).toEqual([[undefined, undefined]]);
  });

  it('stops at the first gate with 6+2 replicas and 95/5', async () => {
    const canary = c.file('canary.yaml', shopCanary.replace('duration: 5m', 'duration: 1s'));
    const res = await c.vela(['up', canary]);
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toContain(
      'suspended at step first-look: check the checkout error rate on the dashboard',
    );
    expect(await checkout()).toEqual({
      ready: { 'checkout-v1': '6/6', 'checkout-v2': '2/2' },
      traffic: ['checkout-v1=95', 'checkout-v2=5'],
    });
    expect(await c.subsets('checkout', 'shop')).toEqual(['checkout-v1', 'checkout-v2']);
  });

  it('on resume, goes through half, waits out the timed soak by itself, and stops at the second gate with 4+4 and 50/50', async () => {
    const res = await c.vela(['workflow', 'resume', 'shop', '-n', 'shop']);
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toContain('suspended at step second-look');
    const s = await status();
    expect(s.workflow.steps.map((x) => `${x.name}:${x.phase}`)).toEqual([
      'canary-5:succeeded',
      'first-look:succeeded',
      'half:succeeded',
      'soak:succeeded',
      'second-look:suspended',
      'all-in:pending',
    ]);
    expect(await checkout()).toEqual({
      ready: { 'checkout-v1': '4/4', 'checkout-v2': '4/4' },
      traffic: ['checkout-v1=50', 'checkout-v2=50'],
    });
  });

  it('on the last resume, lands 8 of checkout-v2 with all traffic and one subset', async () => {
    const res = await c.vela(['workflow', 'resume', 'shop', '-n', 'shop']);
    expect(res).toMatchObject({ code: 0 });
    expect(await checkout()).toEqual({ ready: { 'checkout-v2': '8/8' }, traffic: ['checkout-v2=100'] });
    expect(await c.subsets('checkout', 'shop')).toEqual(['checkout-v2']);
    // External traffic through the gateway follows the canary too (storefront has no canary: plain route).
    expect(await c.routes('storefront', 'shop')).toEqual([[undefined, undefined]]);
  });
});

describe('workflow verbs and diff', () => {
  let c: SandboxCluster;
  beforeEach(async () => {
    c = await new SandboxCluster().start();
  });
  afterEach(() => c.stop());

  it('GIVEN a namespace that does not exist THEN up fails at once in plain words', async () => {
    const res = await c.vela(['up', path.join(repoRoot, 'examples/checkout/app.yaml')]);
    expect(res).toMatchObject({ code: 1 });
    expect(res.stderr).toContain(
      'namespace "shop" does not exist (create it, or let `vela-ts up` do it with --create-namespace)',
    );
  });

  it('GIVEN --create-namespace THEN the namespace is made and the app deployed into it', async () => {
    const res = await c.vela(['up', path.join(repoRoot, 'examples/checkout/app.yaml'), '--create-namespace']);
    expect(res).toMatchObject({ code: 0 });
    expect((await c.deployments('shop'))['checkout-v1']).toBe('8/8');
  });

  it('GIVEN a suspended workflow WHEN terminated THEN resume is refused with exit 2, and restart runs it again', async () => {
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
    expect(await c.vela(['up', rollout])).toMatchObject({ code: 0 });
    const t = await c.vela(['workflow', 'terminate', 'book-info']);
    expect(t).toMatchObject({ code: 0 });
    const r = await c.vela(['workflow', 'resume', 'book-info']);
    expect(r).toMatchObject({ code: 2 });
    expect(r.stderr).toContain('cannot resume a terminated workflow');
    const again = await c.vela(['workflow', 'restart', 'book-info']);
    expect(again).toMatchObject({ code: 0 });
    const s = JSON.parse((await c.vela(['status', '-o', 'json'])).stdout) as StatusJson;
    expect(s.workflow.phase).toBe('suspended');
    expect(await c.routes('reviews')).toEqual([
      ['reviews-v1', 90],
      ['reviews-v2', 10],
    ]);
  });

  it('GIVEN a finished app WHEN resumed THEN it says there is nothing to resume', async () => {
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
    const r = await c.vela(['workflow', 'resume']);
    expect(r).toMatchObject({ code: 2 });
    expect(r.stderr).toContain('already succeeded');
  });

  it('GIVEN diff THEN it shows the cluster after the whole workflow (a rollout included), drift for an unchanged spec, and stores nothing', async () => {
    const before = await c.vela(['diff', first]);
    expect(before).toMatchObject({ code: 1 });
    expect(before.stdout).toContain('+ Deployment/reviews-v1');
    expect(await c.deployments()).toEqual({});
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
    expect(await c.vela(['diff', first])).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('no changes') as string,
    });

    const rolling = await c.vela(['diff', rollout]);
    expect(rolling).toMatchObject({ code: 1 });
    expect(rolling.stdout.split('\n').slice(1, 6)).toEqual([
      '+ Deployment/reviews-v2',
      '~ DestinationRule/reviews  (spec.subsets[0])',
      '~ VirtualService/reviews  (spec.http[0].route[0].destination.subset, spec.http[0].route[0].weight)',
      '- Deployment/reviews-v1',
      '',
    ]);
    // Then each object's unified diff: the subset that goes and the one that comes, with values.
    expect(rolling.stdout).toContain(
      ['--- DestinationRule/reviews (live)', '+++ DestinationRule/reviews (after up)'].join('\n'),
    );
    expect(rolling.stdout).toMatch(/^-\s+name: reviews-v1$/m);
    expect(rolling.stdout).toMatch(/^\+\s+name: reviews-v2$/m);

    // Drift: someone deleted a Deployment; diff says so, and `up` of the same file puts it back.
    expect((await c.request('DELETE', '/apis/apps/v1/namespaces/default/deployments/details')).code).toBe(
      200,
    );
    expect((await c.vela(['diff', first])).stdout).toContain('+ Deployment/details');
    const repaired = await c.vela(['up', first]);
    expect(repaired).toMatchObject({ code: 0 });
    expect(repaired.stdout).toContain('the cluster had drifted: re-applied Deployment/details');
    expect((await c.deployments()).details).toBe('1/1');
  });

  it('GIVEN an object of the same name not managed by vela-ts THEN up refuses to touch it, and --force takes it over', async () => {
    const res = await c.request('POST', '/api/v1/namespaces/default/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ratings', namespace: 'default' },
      spec: { ports: [{ port: 80 }] },
    });
    expect(res.code).toBe(201);
    const refused = await c.vela(['up', first]);
    expect(refused).toMatchObject({ code: 1 });
    expect(refused.stderr).toContain('Service default/ratings already exists and is not managed by vela-ts');
    const forced = await c.vela(['up', first, '--force']);
    expect(forced).toMatchObject({ code: 0 });
    expect((await c.get('', 'services', 'ratings'))?.metadata.labels?.['app.kubernetes.io/managed-by']).toBe(
      'vela-ts',
    );
  });

  it('GIVEN status -o yaml THEN the same report as json, in YAML', async () => {
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
    const res = await c.vela(['status', 'book-info', '-o', 'yaml']);
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toMatch(/^name: book-info$/m);
    expect(res.stdout).toMatch(/^ {2}phase: succeeded$/m);
  });
});
