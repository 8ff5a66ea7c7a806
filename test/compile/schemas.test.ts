import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseApplication } from '../../src/appfile/parse.js';
import { compile, initialPlacement, resolveRevisions, type Placement } from '../../src/compile/index.js';
import { begin, placementsAfter, settled, simulate } from '../../src/workflow/index.js';
import { kubevelaExamples, repoRoot } from '../helpers/cli.js';
import { schemaProblems } from '../helpers/schemas.js';

const NOW = '2026-01-01T00:00:00.000Z';
const load = (file: string) => parseApplication(readFileSync(file, 'utf8'), file).app;
const examples = [
  ...readdirSync(path.join(repoRoot, 'examples/bookinfo')).map((f) =>
    path.join(repoRoot, 'examples/bookinfo', f),
  ),
  ...readdirSync(path.join(repoRoot, 'examples/checkout')).map((f) =>
    path.join(repoRoot, 'examples/checkout', f),
  ),
  path.join(kubevelaExamples, 'first-deploy.yaml'),
  path.join(kubevelaExamples, 'rollout-v2.yaml'),
  path.join(kubevelaExamples, 'rollback.yaml'),
];

describe('every rendered and planned object passes the upstream schemas, unknown fields included', () => {
  it('GIVEN the validator THEN it does catch an unknown field, a wrong type and a missing field (it can fail)', () => {
    const problems = schemaProblems({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'x', namespace: 'default' },
      spec: { hosts: 'not-a-list', http: [{ route: [{ destination: { hots: 'typo' } }] }] },
    });
    expect(problems.join('\n')).toContain('unknown field "spec.http[0].route[0].destination.hots"');
    expect(problems.join('\n')).toMatch(/spec\.hosts/);
    expect(
      schemaProblems({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'x' },
        spec: { replicas: 1, bogus: true },
      }),
    ).toContain('unknown field "spec.bogus"');
  });

  for (const file of examples) {
    const name = path.relative(repoRoot, file);
    it(`GIVEN ${name} WHEN rendered THEN every object is valid`, () => {
      const app = load(file);
      const { current, history } = resolveRevisions(app, {});
      for (const obj of compile(app, 'default', initialPlacement(app, current), history)) {
        expect([`${obj.kind}/${obj.metadata.name}`, schemaProblems(obj)]).toEqual([
          `${obj.kind}/${obj.metadata.name}`,
          [],
        ]);
      }
    });
  }

  const plans: [string, string, string][] = [
    ['bookinfo rollout', 'examples/bookinfo/first-deploy.yaml', 'examples/bookinfo/rollout-v2.yaml'],
    ['bookinfo rollback', 'examples/bookinfo/first-deploy.yaml', 'examples/bookinfo/rollback.yaml'],
    ['shop canary', 'examples/checkout/app.yaml', 'examples/checkout/canary.yaml'],
  ];
  for (const [label, from, to] of plans) {
    it(`GIVEN the ${label} plan THEN the objects after every step are valid`, () => {
      const previous = settled(load(path.join(repoRoot, from)), 'default', undefined, NOW);
      const start = begin(load(path.join(repoRoot, to)), 'default', previous, NOW);
      const { steps } = simulate(start, NOW);
      expect(steps.length).toBeGreaterThan(0);
      const after = placementsAfter(start, steps);
      for (const step of steps) {
        const placement = after.next().value as Placement;
        for (const obj of compile(start.app, 'default', placement, start.revisions)) {
          expect([step.name, `${obj.kind}/${obj.metadata.name}`, schemaProblems(obj)]).toEqual([
            step.name,
            `${obj.kind}/${obj.metadata.name}`,
            [],
          ]);
        }
      }
    });
  }
});
