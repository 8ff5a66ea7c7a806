import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubevelaExamples, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-offline-'));
function file(name: string, text: string): string {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
}

describe('render', () => {
  it('GIVEN first-deploy.yaml WHEN rendered as JSON THEN reviews-v1 has 2 replicas and there is no reviews Deployment', async () => {
    const res = await runCli(['render', path.join(kubevelaExamples, 'first-deploy.yaml'), '-o', 'json']);
    expect(res.code).toBe(0);
    const objects = JSON.parse(res.stdout) as {
      kind: string;
      metadata: { name: string };
      spec: { replicas?: number };
    }[];
    const deployments = objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name);
    expect(deployments).toEqual(['details', 'productpage', 'ratings', 'reviews-v1']);
    expect(objects.find((o) => o.metadata.name === 'reviews-v1')?.spec.replicas).toBe(2);
  });

  it('GIVEN the dry-run alias THEN it prints the same as render', async () => {
    const a = await runCli(['render', path.join(kubevelaExamples, 'first-deploy.yaml')]);
    const b = await runCli(['dry-run', path.join(kubevelaExamples, 'first-deploy.yaml')]);
    expect(b.stdout).toBe(a.stdout);
  });

  it('GIVEN the broken upstream rollback file THEN exit 2, its line in the message, nothing on stdout', async () => {
    const res = await runCli(['render', path.join(kubevelaExamples, 'rollback-invalid-since-v1.2.yaml')]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/rollback-invalid-since-v1\.2\.yaml:27:\d+: YAML error/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('GIVEN a file with several problems THEN every one is reported with its path and line, exit 2', async () => {
    const f = file(
      'bad.yaml',
      [
        'apiVersion: core.oam.dev/v1beta1',
        'kind: Application',
        'metadata:',
        '  name: Bad_Name',
        'spec:',
        '  components:',
        '    - name: web',
        '      type: webservic',
        '      properties:',
        '        image: nginx',
        '    - name: api',
        '      type: webservice',
        '      properties:',
        '        image: api:1',
        '        port: "80"',
        '      traits:',
        '        - type: expose',
        '          properties:',
        '            prot: [80]',
        '',
      ].join('\n'),
    );
    const res = await runCli(['render', f]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(`${f}:4:`);
    expect(res.stderr).toContain('metadata.name');
    expect(res.stderr).toContain(`${f}:8:`);
    expect(res.stderr).toContain('did you mean "webservice"');
    expect(res.stderr).toContain('spec.components[1].properties.port');
    expect(res.stderr).toContain('spec.components[1].traits[0].properties.prot');
  });

  it('GIVEN a missing file THEN exit 2 with a plain message', async () => {
    const res = await runCli(['render', path.join(tmp, 'nope.yaml')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('no such file');
  });

  it('GIVEN a namespace flag that disagrees with the file THEN exit 2', async () => {
    const res = await runCli(['render', path.join(kubevelaExamples, 'first-deploy.yaml'), '-n', 'other']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('namespace');
  });
});

describe('plan', () => {
  it('GIVEN rollout-v2 after first-deploy WHEN --show-objects THEN 1+1 and 90/10 after the first batch, unchanged at the gate, 2 of v2 and 100% at the end', async () => {
    const res = await runCli([
      'plan',
      path.join(kubevelaExamples, 'rollout-v2.yaml'),
      '--from',
      path.join(kubevelaExamples, 'first-deploy.yaml'),
      '-o',
      'json',
      '--show-objects',
    ]);
    expect(res.code).toBe(0);
    type Obj = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };
    const plan = JSON.parse(res.stdout) as { steps: { name: string; type: string; manifests: Obj[] }[] };
    expect(plan.steps.map((s) => [s.name, s.type])).toEqual([
      ['rollout-1st-batch', 'canary-rollout'],
      ['manual-approval', 'suspend'],
      ['rollout-rest', 'canary-rollout'],
    ]);
    const view = (i: number) => {
      const m = plan.steps[i]!.manifests;
      const reps = Object.fromEntries(
        m
          .filter((o) => o.kind === 'Deployment' && o.metadata.name.startsWith('reviews'))
          .map((o) => [o.metadata.name, o.spec.replicas]),
      );
      const vs = m.find((o) => o.kind === 'VirtualService' && o.metadata.name === 'reviews')!;
      const route = (
        vs.spec.http as { route: { destination: { subset?: string }; weight?: number }[] }[]
      )[0]!.route.map((r) => [r.destination.subset, r.weight]);
      const dr = m.find((o) => o.kind === 'DestinationRule')!;
      const subsets = (dr.spec.subsets as { name: string }[]).map((s) => s.name);
      return { reps, route, subsets };
    };
    expect(view(0)).toEqual({
      reps: { 'reviews-v1': 1, 'reviews-v2': 1 },
      route: [
        ['reviews-v1', 90],
        ['reviews-v2', 10],
      ],
      subsets: ['reviews-v1', 'reviews-v2'],
    });
    expect(view(1)).toEqual(view(0));
    expect(view(2)).toEqual({
      reps: { 'reviews-v2': 2 },
      route: [['reviews-v2', 100]],
      subsets: ['reviews-v2'],
    });
  });

  it('GIVEN a rollout file planned as a first deploy THEN its weights name a revision that will not exist: exit 2 before anything moves', async () => {
    const res = await runCli(['plan', path.join(kubevelaExamples, 'rollout-v2.yaml')]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(
      'step rollout-1st-batch routes 10% to reviews-v2, but reviews has only reviews-v1 so far: this file rolls out from an earlier version; deploy that one first (plan: --from EARLIER_FILE)',
    );
  });
});
