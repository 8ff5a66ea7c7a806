import path from 'node:path';
import { kubevelaExamples } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

const first = path.join(kubevelaExamples, 'first-deploy.yaml');
const rollout = path.join(kubevelaExamples, 'rollout-v2.yaml');
const rollbackFile = path.join(kubevelaExamples, 'rollback.yaml');

interface StatusJson {
  name: string;
  namespace: string;
  workflow: { phase: string; steps: { name: string; type: string; phase: string }[] };
}

async function phase(c: SandboxCluster): Promise<StatusJson> {
  const res = await c.vela(['status', 'book-info', '-o', 'json']);
  expect(res.stderr).toBe('');
  return JSON.parse(res.stdout) as StatusJson;
}

/** What the reviews canary looks like in the cluster: readiness per revision, routes, subsets. */
async function reviews(c: SandboxCluster) {
  const d = await c.deployments();
  return {
    v1: d['reviews-v1'],
    v2: d['reviews-v2'],
    routes: await c.routes('reviews'),
    subsets: await c.subsets('reviews'),
  };
}

const rolledBack = { v1: '2/2', v2: undefined, routes: [['reviews-v1', 100]], subsets: ['reviews-v1'] };

/** First deploy, then the rollout up to its approval gate: the state every scenario starts from. */
async function toApprovalGate(c: SandboxCluster): Promise<void> {
  const a = await c.vela(['up', first]);
  expect(a).toMatchObject({ code: 0 });
  const b = await c.vela(['up', rollout]);
  expect(b).toMatchObject({ code: 0 });
}

describe('the seed walkthrough against the sandbox, through the built binary and the real client', () => {
  let c: SandboxCluster;
  beforeEach(async () => {
    c = await new SandboxCluster().start();
  });
  afterEach(() => c.stop());

  it('GIVEN first-deploy WHEN up THEN reviews-v1 is 2/2 ready and the workflow succeeded', async () => {
    const res = await c.vela(['up', first]);
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toContain('book-info: workflow succeeded.');
    expect(await c.deployments()).toEqual({
      details: '1/1',
      productpage: '1/1',
      ratings: '1/1',
      'reviews-v1': '2/2',
    });
    expect(await c.subsets('reviews')).toEqual(['reviews-v1']);
    expect((await phase(c)).workflow.phase).toBe('succeeded');
  });

  it('GIVEN rollout-v2 without a terminal THEN exit 0, suspended, 1+1 ready, 90/10 and two subsets, and the command to continue', async () => {
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
    const res = await c.vela(['up', rollout]);
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toContain('vela-ts workflow resume book-info');
    const s = await phase(c);
    expect(s.workflow.phase).toBe('suspended');
    expect(s.workflow.steps.map((x) => [x.name, x.phase])).toEqual([
      ['rollout-1st-batch', 'succeeded'],
      ['manual-approval', 'suspended'],
      ['rollout-rest', 'pending'],
    ]);
    const d = await c.deployments();
    expect([d['reviews-v1'], d['reviews-v2']]).toEqual(['1/1', '1/1']);
    expect(await c.routes('reviews')).toEqual([
      ['reviews-v1', 90],
      ['reviews-v2', 10],
    ]);
    expect(await c.subsets('reviews')).toEqual(['reviews-v1', 'reviews-v2']);
  });

  it('GIVEN the approval gate WHEN workflow resume THEN succeeded, reviews-v2 2/2, reviews-v1 gone, 100% to v2, one subset', async () => {
    await toApprovalGate(c);
    const res = await c.vela(['workflow', 'resume', 'book-info']);
    expect(res).toMatchObject({ code: 0 });
    expect((await phase(c)).workflow.phase).toBe('succeeded');
    expect(await reviews(c)).toEqual({
      v1: undefined,
      v2: '2/2',
      routes: [['reviews-v2', 100]],
      subsets: ['reviews-v2'],
    });
  });

  it('GIVEN the approval gate WHEN the rollback file is applied THEN reviews-v1 2/2, nothing on v2, 100% to v1, one subset', async () => {
    await toApprovalGate(c);
    const res = await c.vela(['up', rollbackFile]);
    expect(res).toMatchObject({ code: 0 });
    expect(await reviews(c)).toEqual(rolledBack);
    expect((await phase(c)).workflow.steps.map((x) => [x.name, x.type, x.phase])).toEqual([
      ['rollback', 'canary-rollback', 'succeeded'],
    ]);
  });

  it('GIVEN the approval gate WHEN `rollback book-info` THEN the same end state', async () => {
    await toApprovalGate(c);
    const res = await c.vela(['rollback', 'book-info']);
    expect(res).toMatchObject({ code: 0 });
    expect(await reviews(c)).toEqual(rolledBack);
    // Its last line says what was put back; a CI log must not read "succeeded" as the canary going through.
    expect(res.stdout.trim().split('\n').at(-1)).toBe('book-info: rolled back reviews to reviews-v1 (100%).');
  });

  it('GIVEN a suspended app WHEN the same file is applied again THEN not one write request reaches the server', async () => {
    await toApprovalGate(c);
    const before = c.audit().length;
    const res = await c.vela(['up', rollout]);
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toContain('unchanged');
    const requests = c.audit().slice(before);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((r) => !['GET', 'HEAD'].includes(r.method))).toEqual([]);
  });

  it('GIVEN a suspended app WHEN the same file is applied again with --yes THEN the approval is given and the release finishes', async () => {
    await toApprovalGate(c);
    const res = await c.vela(['up', rollout, '--yes']);
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toContain('continuing (--yes)');
    expect(res.stdout).toContain('book-info: workflow succeeded.');
    expect(await c.routes('reviews')).toEqual([['reviews-v2', 100]]);
    expect((await c.deployments())['reviews-v2']).toBe('2/2');
  });

  it('GIVEN a finished first deploy WHEN applied again THEN it is unchanged and writes nothing', async () => {
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
    const before = c.audit().length;
    const res = await c.vela(['up', first]);
    expect(res).toMatchObject({ code: 0 });
    expect(
      c
        .audit()
        .slice(before)
        .filter((r) => r.method !== 'GET'),
    ).toEqual([]);
  });

  it('GIVEN status in a namespace with one app THEN the app name may be left out', async () => {
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
    const res = await c.vela(['status']);
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toMatch(/App:\s+book-info/);
    expect(res.stdout).toMatch(/reviews\s+reviews-v1\s+2\/2/);
  });
});

describe('a gate worth approving on', () => {
  let c: SandboxCluster;
  beforeEach(async () => {
    c = await new SandboxCluster().start();
  });
  afterEach(() => c.stop());

  it('GIVEN the approval gate THEN status (table and JSON) shows both images with their roles, the step counter and when the gate was reached', async () => {
    await toApprovalGate(c);
    const json = JSON.parse((await c.vela(['status', 'book-info', '-o', 'json'])).stdout);
    expect(json.workflow.current).toEqual({
      index: 2,
      count: 3,
      name: 'manual-approval',
      type: 'suspend',
      since: json.workflow.steps[1].startedAt,
    });
    expect(Date.parse(json.workflow.current.since)).not.toBeNaN();
    const reviewsJson = json.components.find((x: { name: string }) => x.name === 'reviews');
    expect(reviewsJson.revisions).toEqual([
      {
        name: 'reviews-v1',
        role: 'stable',
        image: 'docker.io/istio/examples-bookinfo-reviews-v2:1.16.2',
        replicas: 1,
        readyReplicas: 1,
      },
      {
        name: 'reviews-v2',
        role: 'canary',
        image: 'docker.io/istio/examples-bookinfo-reviews-v3:1.16.2',
        replicas: 1,
        readyReplicas: 1,
      },
    ]);
    const table = (await c.vela(['status', 'book-info'])).stdout;
    expect(table).toMatch(/^Step: +2\/3: manual-approval \(suspend\), since \S+Z \(\d+s ago\)$/m);
    expect(table).toMatch(
      /reviews +reviews-v1 +1\/1 +90% +stable +docker\.io\/istio\/examples-bookinfo-reviews-v2:1\.16\.2/,
    );
    expect(table).toMatch(
      /reviews +reviews-v2 +1\/1 +10% +canary +docker\.io\/istio\/examples-bookinfo-reviews-v3:1\.16\.2/,
    );
  });
});
