import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runMain } from '../helpers/main.js';
// @ts-expect-error plain JS shared with the benchmark
import { generateApp } from '../../scripts/gen-app.js';

const ex = (f: string) => path.join('examples', f);
const gen = (opts: Record<string, unknown>): string => generateApp(opts) as string;

interface Change {
  action: 'create' | 'update' | 'delete';
  kind: string;
  name: string;
  fields?: string[];
  object?: { kind: string; metadata: { name: string }; spec: Record<string, unknown> };
}
interface Plan {
  applied: Change[];
  steps: { name: string; phase: string; moves: string[]; changes: Change[]; manifests?: unknown[] }[];
}

const summary = (cs: Change[]) =>
  cs.map((c) => `${c.action} ${c.kind}/${c.name}${c.fields ? ` ${c.fields.join(',')}` : ''}`);

describe('plan shows what each step changes', () => {
  it('GIVEN the seed rollout THEN each step lists only the objects it changes, the gate none, and no step carries the whole object set', async () => {
    const res = await runMain([
      'plan',
      ex('bookinfo/rollout-v2.yaml'),
      '--from',
      ex('bookinfo/first-deploy.yaml'),
      '-o',
      'json',
    ]);
    expect(res.code).toBe(0);
    const plan = JSON.parse(res.stdout) as Plan;
    // The new image is a new revision, which no object shows until a step scales it.
    expect(plan.applied).toEqual([]);
    expect(plan.steps.map((s) => summary(s.changes))).toEqual([
      [
        'update Deployment/reviews-v1 spec.replicas',
        'create Deployment/reviews-v2',
        'update DestinationRule/reviews spec.subsets',
        'update VirtualService/reviews spec.http',
      ],
      [],
      [
        'update Deployment/reviews-v2 spec.replicas',
        'update DestinationRule/reviews spec.subsets',
        'update VirtualService/reviews spec.http',
        'delete Deployment/reviews-v1',
      ],
    ]);
    expect(plan.steps.every((s) => s.manifests === undefined)).toBe(true);
    // An update carries the object as it is written after the step.
    const v1 = plan.steps[0]!.changes[0]!.object!;
    expect([v1.metadata.name, v1.spec.replicas]).toEqual(['reviews-v1', 1]);
  });

  it('GIVEN --show-objects THEN every step also carries every object after it', async () => {
    const res = await runMain([
      'plan',
      ex('bookinfo/rollout-v2.yaml'),
      '--from',
      ex('bookinfo/first-deploy.yaml'),
      '-o',
      'json',
      '--show-objects',
    ]);
    const plan = JSON.parse(res.stdout) as Plan;
    expect(plan.steps.map((s) => s.manifests?.length)).toEqual([13, 13, 12]);
  });

  it('GIVEN a first deploy THEN every object is created with the spec, before the first step, and the steps change nothing more', async () => {
    const res = await runMain(['plan', ex('bookinfo/first-deploy.yaml'), '-o', 'json']);
    const plan = JSON.parse(res.stdout) as Plan;
    expect(plan.applied.map((c) => c.action)).toEqual(Array(12).fill('create'));
    expect(plan.steps.map((s) => s.changes)).toEqual([[], [], [], []]);
  });

  it('GIVEN a plain component whose image changes and one removed THEN both show in what the spec applies', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-plan-'));
    const before = path.join(dir, 'before.yaml');
    const after = path.join(dir, 'after.yaml');
    writeFileSync(before, gen({ components: 4 }));
    writeFileSync(
      after,
      gen({ components: 3 })
        .replace('name: scale-3', 'name: scale-4')
        .replace('c00002:1.0.0', 'c00002:1.0.1'),
    );
    const res = await runMain(['plan', after, '--from', before, '-o', 'json']);
    expect(res.code).toBe(0);
    const plan = JSON.parse(res.stdout) as Plan;
    expect(summary(plan.applied)).toEqual([
      // A plain component's Deployment is updated in place: its pods get the new revision's label.
      'update Deployment/c00002 spec.template.metadata.labels.app.oam.dev/revision,spec.template.spec.containers',
      'delete Service/c00003',
      'delete Deployment/c00003',
    ]);
  });

  it('GIVEN a gate THEN the text shows where every component moved since the last gate stands, and a step shows its object changes', async () => {
    const res = await runMain(['plan', ex('checkout/canary.yaml'), '--from', ex('checkout/app.yaml')]);
    expect(res.code).toBe(0);
    const step = (n: number) => res.stdout.split('\n\n').find((b) => b.startsWith(`${n}. `))!;
    expect(step(2)).toContain('checkout: replicas checkout-v1=6 checkout-v2=2');
    // Nothing moved between the soak and the second look: nothing to show at the second gate.
    expect(step(5)).toBe('5. second-look (suspend) waits for approval');
    expect(step(6)).toContain('   - Deployment checkout-v1');
  });

  it('GIVEN a default workflow of 2,000 components THEN JSON is produced, one step per component, each naming only its own objects', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-plan-'));
    writeFileSync(path.join(dir, 'a.yaml'), gen({ components: 2000 }));
    writeFileSync(path.join(dir, 'b.yaml'), gen({ components: 2000, release: 2 }));
    const res = await runMain([
      'plan',
      path.join(dir, 'b.yaml'),
      '--from',
      path.join(dir, 'a.yaml'),
      '-o',
      'json',
    ]);
    expect(res.code).toBe(0);
    const plan = JSON.parse(res.stdout) as Plan;
    expect(plan.steps).toHaveLength(2000);
    for (const s of plan.steps) {
      for (const c of s.changes) expect(c.name.startsWith(s.name)).toBe(true);
      // Every fourth component rolls out (a new revision); the others have nothing to move.
      expect(s.changes.length > 0).toBe(Number(s.name.slice(1)) % 4 === 0);
    }
  });
});
