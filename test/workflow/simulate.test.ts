import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseApplication } from '../../src/appfile/parse.js';
import type { Application } from '../../src/appfile/types.js';
import type { Placement } from '../../src/compile/index.js';
import { stableStringify } from '../../src/compile/stable.js';
import {
  begin,
  next,
  operate,
  placementsAfter,
  settled,
  simulate,
  type AppState,
} from '../../src/workflow/index.js';
// @ts-expect-error plain JS shared with the benchmark
import { generateApp } from '../../scripts/gen-app.js';
import { repoRoot } from '../helpers/cli.js';

const NOW = '2026-01-01T00:00:00.000Z';
const file = (f: string): Application =>
  parseApplication(readFileSync(path.join(repoRoot, f), 'utf8'), f).app;
const generated = (opts: Record<string, unknown>): Application =>
  parseApplication(generateApp(opts) as string, 'generated.yaml').app;

/**
 * What plan did before it ran steps on slices: `next` over the whole state until the workflow is
 * over, each step's moves and the whole placement when it settles. The reference the slices must match.
 */
function onTheWholeState(start: AppState) {
  let s = start;
  const steps: { name: string; phase: string; moves: string[]; placement: Placement }[] = [];
  const moves = new Map<number, string[]>();
  for (;;) {
    const before = s.workflow.steps;
    const t = next(s, NOW, { stepwise: true });
    s = t.state;
    if (t.effect.kind === 'realize') moves.set(t.step, [...(moves.get(t.step) ?? []), t.effect.note]);
    s.workflow.steps.forEach((st, i) => {
      const was = before[i]?.phase;
      const done = st.phase === 'succeeded' || st.phase === 'suspended' || st.phase === 'failed';
      if (done && was !== st.phase && !(was === 'suspended' && st.phase === 'succeeded'))
        steps.push({ name: st.name, phase: st.phase, moves: moves.get(i) ?? [], placement: s.placement });
    });
    if (t.effect.kind === 'suspend') s = operate(s, 'resume', NOW);
    else if (t.effect.kind === 'finish') return { steps, final: s };
  }
}

describe('plan runs each step on the slice of the state it acts on', () => {
  const cases: [string, Application, Application[]][] = [
    [
      'the seed rollout',
      file('examples/bookinfo/rollout-v2.yaml'),
      [file('examples/bookinfo/first-deploy.yaml')],
    ],
    [
      'a rollback after the rollout',
      file('examples/bookinfo/rollback.yaml'),
      [file('examples/bookinfo/first-deploy.yaml'), file('examples/bookinfo/rollout-v2.yaml')],
    ],
    ['the checkout canary', file('examples/checkout/canary.yaml'), [file('examples/checkout/app.yaml')]],
    ['a first deploy', file('examples/bookinfo/first-deploy.yaml'), []],
    [
      '25 canaries with one gate',
      generated({ components: 100, release: 2, workflow: true }),
      [generated({ components: 100 })],
    ],
    [
      'a step that fails (a rollback with nothing to go back to), with steps after it',
      parseApplication(
        `${generateApp({ components: 4 }) as string}  workflow:
    steps:
      - { name: back, type: canary-rollback, properties: { component: c00000 } }
      - { name: gate, type: suspend }
      - { name: after, type: canary-rollout, properties: { component: c00000 } }
`,
        'failing.yaml',
      ).app,
      [],
    ],
    [
      '100 components, default workflow',
      generated({ components: 100, release: 2 }),
      [generated({ components: 100 })],
    ],
  ];
  it.each(cases)(
    'GIVEN %s THEN every step, its moves, the placement after it and the end state are what the whole state gives',
    (_, app, history) => {
      let previous: AppState | undefined;
      for (const earlier of history) previous = settled(earlier, 'default', previous, NOW);
      const start = begin(app, 'default', previous, NOW);
      const reference = onTheWholeState(start);
      const sim = simulate(start, NOW);
      const after = [...placementsAfter(start, sim.steps)];
      expect(
        sim.steps.map((s, i) => ({ name: s.name, phase: s.phase, moves: s.moves, placement: after[i] })),
      ).toEqual(reference.steps);
      expect(stableStringify(sim.final)).toBe(stableStringify(reference.final));
    },
  );
});

describe('plans of large apps', () => {
  it('GIVEN 6,000 components of which 1,500 roll out (more than 10,000 turns of the runner) THEN the simulation finishes, every rollout on its new revision', () => {
    const previous = settled(generated({ components: 6000 }), 'default', undefined, NOW);
    const { steps, final } = simulate(
      begin(generated({ components: 6000, release: 2 }), 'default', previous, NOW),
      NOW,
    );
    expect(steps).toHaveLength(6000);
    expect(steps.every((s) => s.phase === 'succeeded')).toBe(true);
    expect(steps.reduce((n, s) => n + s.moves.length, 0)).toBe(1500 * 4);
    expect(final.workflow.phase).toBe('succeeded');
    expect(final.placement.c05996!.replicas).toEqual({ 'c05996-v2': 2 });
  });

  it('GIVEN 1,500 components with nothing to move WHEN the shell asks for the next move THEN the workflow ends in that one call', () => {
    const t = next(begin(generated({ components: 1500 }), 'default', undefined, NOW), NOW);
    expect(t.effect.kind).toBe('finish');
    expect(t.state.workflow.phase).toBe('succeeded');
  });
});
