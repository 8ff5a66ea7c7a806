import type { Application } from '../../src/appfile/types.js';
import {
  begin,
  next,
  operate,
  readinessGates,
  settled,
  startRollback,
  type AppState,
} from '../../src/workflow/index.js';
import { bookinfo, canary, gate, seedWorkflow, V3 } from '../fixtures/apps.js';

const NOW = '2026-01-01T00:00:00.000Z';

/** Calls `next` until the workflow stops moving (suspends or finishes), collecting the moves. */
function run(state: AppState): { state: AppState; notes: string[] } {
  let s = state;
  const notes: string[] = [];
  for (;;) {
    const t = next(s, NOW);
    s = t.state;
    if (t.effect.kind !== 'realize') return { state: s, notes };
    notes.push(t.effect.note);
  }
}

const drive = (state: AppState): AppState => run(state).state;

const withoutRollout = (app: Application): Application => ({
  ...app,
  components: app.components.map((c) =>
    c.name === 'reviews' ? { ...c, traits: c.traits.filter((t) => t.type !== 'rollout') } : c,
  ),
});

describe('edge cases found in review', () => {
  const deployed = settled(bookinfo(), 'default', undefined, NOW);
  const rollout = bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow });
  const finished = drive(operate(drive(begin(rollout, 'default', deployed, NOW)), 'resume', NOW));

  it('GIVEN weighted routes from a finished rollout WHEN the rollout trait is dropped THEN routing goes back to the Service and the subset is the current revision', () => {
    const plain = withoutRollout(bookinfo({ reviewsImage: 'reviews:4' }));
    const s = begin(plain, 'default', finished, NOW);
    expect(s.placement.reviews).toEqual({ revision: 'reviews-v3', subsets: ['reviews-v3'] });
  });

  it('GIVEN a timed pause WHEN a person suspends THEN the timer is dropped and the pause waits for them', () => {
    const app = bookinfo({ workflow: [{ name: 'soak', type: 'suspend', properties: { duration: '1m' } }] });
    const paused = next(begin(app, 'default', undefined, NOW), NOW).state;
    expect(paused.workflow.resumeAt).toBe('2026-01-01T00:01:00.000Z');
    const held = operate(paused, 'suspend', NOW);
    expect(held.workflow.resumeAt).toBeUndefined();
    expect(next(held, '2026-01-01T00:05:00.000Z').effect).toEqual({ kind: 'suspend' });
  });

  it('GIVEN a targetRevision the component never had THEN the spec is refused before anything starts', () => {
    const app = bookinfo();
    const t = app.components[0]!.traits[1]!;
    if (t.type === 'rollout') t.properties.targetRevision = 'reviews-v9';
    expect(() => begin(app, 'default', deployed, NOW)).toThrow(
      'the rollout trait of reviews names targetRevision reviews-v9, which reviews has never had (known: reviews-v1)',
    );
  });

  it('GIVEN a second rollout component with a new revision that no step rolls THEN the spec is refused', () => {
    const twin = (app: Application): Application => {
      const reviews = app.components[0]!;
      return { ...app, components: [...app.components, { ...reviews, name: 'reviews2' }] };
    };
    const before = settled(twin(bookinfo()), 'default', undefined, NOW);
    expect(() => begin(twin(rollout), 'default', before, NOW)).toThrow(
      'component reviews2 has a new revision (reviews2-v2) but no canary-rollout or canary-rollback step acts on it; add a step with "component: reviews2"',
    );
  });

  it('GIVEN a first deploy THEN rollback is refused: there is nothing to go back to', () => {
    expect(() => startRollback(deployed, NOW)).toThrow('reviews has no earlier revision to roll back to');
  });

  it('GIVEN a finished rollout WHEN rolled back THEN the previous revision comes back from its record', () => {
    const back = drive(startRollback(finished, NOW));
    expect(back.placement.reviews?.replicas).toEqual({ 'reviews-v1': 2 });
    expect(back.placement.reviews?.traffic).toEqual([{ revision: 'reviews-v1', weight: 100 }]);
    expect(() => startRollback(back, NOW)).toThrow(
      'reviews already runs only reviews-v1; there is nothing to roll back',
    );
  });

  it('GIVEN rollback --component naming no rollout component THEN it is refused', () => {
    expect(() => startRollback(finished, NOW, 'ratings')).toThrow(
      'book-info has no component ratings with a rollout trait to roll back',
    );
    expect(drive(startRollback(finished, NOW, 'reviews')).placement.reviews?.replicas).toEqual({
      'reviews-v1': 2,
    });
  });

  it('GIVEN a rollback of a canary THEN only the revision rolled back to gates readiness, never the canary nor another component', () => {
    const suspended = drive(begin(rollout, 'default', deployed, NOW));
    // Rolling out, only the target gates: a source that went bad never blocks moving away from it.
    expect(readinessGates(suspended)).toEqual(['reviews-v2', 'productpage', 'ratings', 'details']);
    expect(readinessGates(startRollback(suspended, NOW))).toEqual(['reviews-v1']);
  });

  it('GIVEN a person suspended the workflow mid-step THEN next moves nothing until it is resumed', () => {
    const started = next(begin(rollout, 'default', deployed, NOW), NOW).state;
    const held = operate(started, 'suspend', NOW);
    const t = next(held, NOW);
    expect(t.effect).toEqual({ kind: 'suspend' });
    expect(t.state).toEqual(held);
    expect(next(operate(held, 'resume', NOW), NOW).effect.kind).toBe('realize');
  });

  it('GIVEN a move that changes a route THEN the time of the change is recorded with it', () => {
    let s = begin(rollout, 'default', deployed, NOW);
    const changes: (string | undefined)[] = [];
    for (;;) {
      const t = next(s, NOW);
      s = t.state;
      if (t.effect.kind !== 'realize') break;
      changes.push(
        t.effect.note.startsWith('route') || t.effect.note.includes('subset') ? s.trafficChangedAt : 'n/a',
      );
    }
    expect(changes).toEqual([NOW, 'n/a', NOW, NOW, 'n/a']);
  });
});

describe('a left-over revision from an interrupted rollout', () => {
  it('GIVEN a canary left at 75/25 WHEN a newer spec rolls out THEN the source grows back to full size before the left-over loses its traffic or its pods', () => {
    const deployed = settled(bookinfo({ batches: [1, 1] }), 'default', undefined, NOW);
    const rollout = bookinfo({
      reviewsImage: V3,
      batches: [1, 1],
      workflow: [canary('canary', 0, { 'reviews-v1': 75, 'reviews-v2': 25 }), gate('gate')],
    });
    let s = drive(begin(rollout, 'default', deployed, NOW));
    expect(s.placement.reviews!.replicas).toEqual({ 'reviews-v1': 1, 'reviews-v2': 1 });
    // A third image: reviews-v2 is left over, reviews-v1 (stable) is the source again.
    const newer = bookinfo({ reviewsImage: 'reviews:4', batches: [1, 1] });
    const after = run(begin(newer, 'default', s, NOW));
    s = after.state;
    const notes = after.notes;
    expect(notes.slice(0, 4)).toEqual([
      'scale reviews-v1 to 2 before taking traffic from reviews-v2',
      'route 100% to reviews-v1',
      'remove subset reviews-v2',
      'remove reviews-v2, left over from an earlier rollout',
    ]);
    expect(s.placement.reviews!.replicas).toEqual({ 'reviews-v3': 2 });
  });
});

describe('third review: traffic and capacity corners', () => {
  const deployed = settled(bookinfo({ batches: [1, 1] }), 'default', undefined, NOW);

  it('GIVEN a run stopped right after it removed the old revision WHEN a newer spec rolls out THEN it starts from the revision that serves, not from the new one', () => {
    const app = bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow });
    let s = run(begin(app, 'default', deployed, NOW)).state;
    s = operate(s, 'resume', NOW);
    // Stop just after "remove reviews-v1" was recorded: reviews-v1 is gone, still `stable`.
    for (let t = next(s, NOW); ; t = next(s, NOW)) {
      s = t.state;
      if (t.effect.kind === 'realize' && t.effect.note.endsWith('remove reviews-v1')) break;
    }
    expect(s.stable.reviews).toBe('reviews-v1');
    expect(s.placement.reviews!.replicas).toEqual({ 'reviews-v2': 2 });
    const newer = bookinfo({
      reviewsImage: 'reviews:4',
      batches: [1, 1],
      workflow: [canary('c', 0, { 'reviews-v2': 90, 'reviews-v3': 10 }), gate('g')],
    });
    const started = begin(newer, 'default', s, NOW);
    expect(started.rollouts.reviews).toEqual({ source: 'reviews-v2', target: 'reviews-v3' });
    const { state } = run(started);
    expect(state.workflow.phase).toBe('suspended');
    expect(state.placement.reviews!.replicas).toEqual({ 'reviews-v2': 1, 'reviews-v3': 1 });
  });

  it('GIVEN the new revision already has pods routed by the Service WHEN a step sets weights THEN traffic is not pinned to the old one alone', () => {
    const app = bookinfo({
      reviewsImage: V3,
      batches: [1, 1],
      workflow: [canary('c', 0), gate('g'), canary('rest', 1, { 'reviews-v2': 100 })],
    });
    const atGate = run(begin(app, 'default', deployed, NOW)).state;
    expect(atGate.placement.reviews!.traffic).toBeUndefined();
    const { notes } = run(operate(atGate, 'resume', NOW));
    expect(notes).not.toContain('route 100% to reviews-v1');
    expect(notes[0]).toBe('batch 2 of 2: scale reviews-v2 to 2');
  });

  it('GIVEN weights set earlier and a first step with none WHEN restarted after advancing THEN the route follows the pods back before the canary shrinks', () => {
    const eight = (a: ReturnType<typeof bookinfo>) => {
      const t = a.components[0]!.traits[1]!;
      if (t.type === 'rollout') {
        t.properties.targetSize = 8;
        t.properties.rolloutBatches = [{ replicas: 2 }, { replicas: 2 }, { replicas: 4 }];
      }
      return a;
    };
    const split = { 'reviews-v1': 50, 'reviews-v2': 50 };
    const steps = [canary('c', 0), gate('g1'), canary('half', 1, split), gate('g2')];
    const from = settled(eight(bookinfo()), 'default', undefined, NOW);
    let s = run(begin(eight(bookinfo({ reviewsImage: V3, workflow: steps })), 'default', from, NOW)).state;
    s = run(operate(s, 'resume', NOW)).state;
    const restarted = operate(s, 'restart', NOW);
    const { notes, state } = run(restarted);
    expect(notes).toEqual([
      'back to batch 1: scale reviews-v1 up to 6',
      'route 75% to reviews-v1, 25% to reviews-v2',
      'back to batch 1: scale reviews-v2 down to 2',
    ]);
    expect(state.placement.reviews!.replicas).toEqual({ 'reviews-v1': 6, 'reviews-v2': 2 });
    // While it grows back, the old revision is waited on too.
    const afterFirst = next(restarted, NOW).state;
    expect(readinessGates(afterFirst)).toContain('reviews-v1');
  });

  it('GIVEN a left-over revision at 0% WHEN a newer spec rolls out THEN its route goes before its subset', () => {
    const app = bookinfo({
      reviewsImage: V3,
      batches: [1, 1],
      workflow: [canary('dark', 0, { 'reviews-v1': 100, 'reviews-v2': 0 }), gate('g')],
    });
    const s = run(begin(app, 'default', deployed, NOW)).state;
    const newer = bookinfo({ reviewsImage: 'reviews:4', batches: [1, 1] });
    const { notes, state } = run(begin(newer, 'default', s, NOW));
    expect(notes.slice(0, 3)).toEqual([
      'route 100% to reviews-v1',
      'remove subset reviews-v2',
      'remove reviews-v2, left over from an earlier rollout',
    ]);
    expect(state.placement.reviews!.traffic?.some((t) => t.revision === 'reviews-v2')).toBe(false);
  });

  it('GIVEN a left-over revision that serves WHEN its heir grows THEN the heir is waited on', () => {
    const app = bookinfo({
      reviewsImage: V3,
      batches: [1, 1],
      workflow: [canary('c', 0, { 'reviews-v1': 75, 'reviews-v2': 25 }), gate('g')],
    });
    const s = run(begin(app, 'default', deployed, NOW)).state;
    const grown = next(
      begin(bookinfo({ reviewsImage: 'reviews:4', batches: [1, 1] }), 'default', s, NOW),
      NOW,
    );
    expect(grown.effect).toEqual({
      kind: 'realize',
      note: 'scale reviews-v1 to 2 before taking traffic from reviews-v2',
    });
    expect(readinessGates(grown.state)).toContain('reviews-v1');
  });
});
