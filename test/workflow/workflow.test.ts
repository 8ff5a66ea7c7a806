import type { WorkflowStep } from '../../src/appfile/types.js';
import {
  begin,
  failStep,
  next,
  operate,
  readinessGates,
  settled,
  simulate,
  startRollback,
  type AppState,
} from '../../src/workflow/index.js';
import { bookinfo, canary, gate, seedWorkflow, V3 } from '../fixtures/apps.js';

const NOW = '2026-01-01T00:00:00.000Z';
const reviews = (s: AppState) => s.placement.reviews!;

/** Drives `next` until the workflow stops (suspends or finishes), collecting the moves. */
function drive(state: AppState): { state: AppState; notes: string[] } {
  let s = state;
  const notes: string[] = [];
  for (;;) {
    const t = next(s, NOW);
    s = t.state;
    if (t.effect.kind !== 'realize') return { state: s, notes };
    notes.push(t.effect.note);
  }
}

describe('workflow: the seed walkthrough', () => {
  const deployed = settled(bookinfo(), 'default', undefined, NOW);

  it('GIVEN first-deploy THEN reviews-v1 runs 2 replicas, stable, workflow succeeded', () => {
    expect(reviews(deployed).replicas).toEqual({ 'reviews-v1': 2 });
    expect(deployed.stable.reviews).toBe('reviews-v1');
    expect(deployed.workflow.phase).toBe('succeeded');
    expect(deployed.workflow.steps.map((s) => [s.name, s.type, s.phase])).toEqual([
      ['reviews', 'apply-component', 'succeeded'],
      ['productpage', 'apply-component', 'succeeded'],
      ['ratings', 'apply-component', 'succeeded'],
      ['details', 'apply-component', 'succeeded'],
    ]);
  });

  const rollout = bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow });

  it('GIVEN rollout-v2 WHEN run THEN it suspends at manual-approval with 1+1 replicas, 90/10 and both subsets, moved in a safe order', () => {
    const { state, notes } = drive(begin(rollout, 'default', deployed, NOW));
    expect(state.workflow.phase).toBe('suspended');
    expect(state.workflow.steps.map((s) => s.phase)).toEqual(['succeeded', 'suspended', 'pending']);
    expect(reviews(state).replicas).toEqual({ 'reviews-v1': 1, 'reviews-v2': 1 });
    expect(reviews(state).traffic).toEqual([
      { revision: 'reviews-v1', weight: 90 },
      { revision: 'reviews-v2', weight: 10 },
    ]);
    expect(reviews(state).subsets).toEqual(['reviews-v1', 'reviews-v2']);
    // Pin all traffic to the old subset, scale up the new revision, add its subset, route, and
    // only then scale the old one down: it never keeps a share of traffic its pods have left.
    expect(notes).toEqual([
      'route 100% to reviews-v1',
      'batch 1 of 2: scale reviews-v2 to 1',
      'add subsets reviews-v2 to DestinationRule reviews',
      'route 90% to reviews-v1, 10% to reviews-v2',
      'batch 1 of 2: scale reviews-v1 down to 1',
    ]);
  });

  it('GIVEN the suspended rollout WHEN resumed THEN reviews-v2 has 2, reviews-v1 is gone, 100% to v2 with one subset, traffic moved before v1 removed', () => {
    const suspended = drive(begin(rollout, 'default', deployed, NOW)).state;
    const { state, notes } = drive(operate(suspended, 'resume', NOW));
    expect(state.workflow.phase).toBe('succeeded');
    expect(reviews(state).replicas).toEqual({ 'reviews-v2': 2 });
    expect(reviews(state).traffic).toEqual([{ revision: 'reviews-v2', weight: 100 }]);
    expect(reviews(state).subsets).toEqual(['reviews-v2']);
    expect(state.stable.reviews).toBe('reviews-v2');
    expect(notes).toEqual([
      'batch 2 of 2: scale reviews-v2 to 2',
      'route 100% to reviews-v2',
      'remove subsets reviews-v1 from DestinationRule reviews',
      'batch 2 of 2: remove reviews-v1',
    ]);
  });

  it('GIVEN the suspended rollout WHEN the rollback file is applied THEN the old workflow ends and v1 gets everything back, traffic first', () => {
    const suspended = drive(begin(rollout, 'default', deployed, NOW)).state;
    const rollbackApp = bookinfo({
      reviewsImage: V3,
      batches: [1, 1],
      workflow: [{ name: 'rollback', type: 'canary-rollback', properties: {} }],
    });
    const { state, notes } = drive(begin(rollbackApp, 'default', suspended, NOW));
    expect(state.workflow.phase).toBe('succeeded');
    expect(reviews(state).replicas).toEqual({ 'reviews-v1': 2 });
    expect(reviews(state).traffic).toEqual([{ revision: 'reviews-v1', weight: 100 }]);
    expect(reviews(state).subsets).toEqual(['reviews-v1']);
    // The stable revision grows back (and is waited on) before it takes all the traffic: it never
    // carries more than its ready pods can.
    expect(notes).toEqual([
      'scale reviews-v1 back to 2 before it takes all the traffic',
      'route 100% to reviews-v1',
      'remove subsets reviews-v2 from DestinationRule reviews',
      'remove reviews-v2',
    ]);
  });

  it('GIVEN a canary with no ready pod WHEN rolled back THEN traffic leaves it at once, before the stable revision grows back', () => {
    const suspended = drive(begin(rollout, 'default', deployed, NOW)).state;
    const { state, notes } = drive(startRollback(suspended, NOW, undefined, ['reviews']));
    expect(notes).toEqual([
      'route 100% to reviews-v1',
      'remove subsets reviews-v2 from DestinationRule reviews',
      'scale reviews-v1 back to 2 before it takes all the traffic',
      'remove reviews-v2',
    ]);
    expect(reviews(state).replicas).toEqual({ 'reviews-v1': 2 });
  });

  it('GIVEN a canary with ready pods WHEN `rollback` is asked THEN the stable revision grows first, and is waited on while it does', () => {
    const suspended = drive(begin(rollout, 'default', deployed, NOW)).state;
    const started = startRollback(suspended, NOW);
    const first = next(started, NOW);
    expect(first.effect).toEqual({
      kind: 'realize',
      note: 'scale reviews-v1 back to 2 before it takes all the traffic',
    });
    expect(reviews(first.state).traffic).toEqual([
      { revision: 'reviews-v1', weight: 90 },
      { revision: 'reviews-v2', weight: 10 },
    ]);
    expect(readinessGates(first.state)).toContain('reviews-v1');
  });

  it('GIVEN the suspended rollout WHEN `rollback` is asked THEN the same end state, and the workflow says it was rolled back', () => {
    const suspended = drive(begin(rollout, 'default', deployed, NOW)).state;
    const { state } = drive(startRollback(suspended, NOW));
    expect(reviews(state).replicas).toEqual({ 'reviews-v1': 2 });
    expect(reviews(state).traffic).toEqual([{ revision: 'reviews-v1', weight: 100 }]);
    expect(state.workflow.steps).toEqual([
      expect.objectContaining({ name: 'rollback', type: 'canary-rollback', phase: 'succeeded' }),
    ]);
  });

  it("GIVEN a rolled-back app WHEN restarted THEN the spec's own workflow runs again, not the rollback", () => {
    const suspended = drive(begin(rollout, 'default', deployed, NOW)).state;
    const rolledBack = drive(startRollback(suspended, NOW)).state;
    expect(rolledBack.app).toEqual(rollout);
    const again = drive(operate(rolledBack, 'restart', NOW)).state;
    expect(again.workflow.steps.map((s) => s.name)).toEqual([
      'rollout-1st-batch',
      'manual-approval',
      'rollout-rest',
    ]);
    expect(again.workflow.phase).toBe('suspended');
    expect(reviews(again).traffic).toEqual([
      { revision: 'reviews-v1', weight: 90 },
      { revision: 'reviews-v2', weight: 10 },
    ]);
  });

  it('GIVEN a state WHEN next is asked twice THEN the answer is the same (re-entrant after a crash)', () => {
    const started = begin(rollout, 'default', deployed, NOW);
    const once = next(started, NOW);
    expect(next(started, NOW)).toEqual(once);
    const twice = next(once.state, NOW);
    expect(next(once.state, NOW)).toEqual(twice);
  });
});

describe('workflow: other shapes', () => {
  it('GIVEN four batches in percent and two gates, canary listed last THEN each gate holds the expected split', () => {
    const sized = (app: ReturnType<typeof bookinfo>) => {
      const t = app.components[3]!.traits[1]!;
      if (t.type === 'rollout') {
        t.properties.targetSize = 8;
        t.properties.rolloutBatches = [
          { replicas: '25%' },
          { replicas: '25%' },
          { replicas: '25%' },
          { replicas: '25%' },
        ];
      }
      return app;
    };
    const deployed = settled(sized(bookinfo({ reviewsLast: true })), 'default', undefined, NOW);
    const steps: WorkflowStep[] = [
      {
        name: 'canary',
        type: 'canary-rollout',
        properties: {
          batchPartition: 0,
          traffic: {
            weightedTargets: [
              { revision: 'reviews-v1', weight: 80 },
              { revision: 'reviews-v2', weight: 20 },
            ],
          },
        },
      },
      { name: 'gate-1', type: 'suspend', properties: {} },
      {
        name: 'half',
        type: 'canary-rollout',
        properties: {
          batchPartition: 1,
          traffic: {
            weightedTargets: [
              { revision: 'reviews-v1', weight: 50 },
              { revision: 'reviews-v2', weight: 50 },
            ],
          },
        },
      },
      { name: 'gate-2', type: 'suspend', properties: {} },
      {
        name: 'all',
        type: 'canary-rollout',
        properties: {
          batchPartition: 3,
          traffic: { weightedTargets: [{ revision: 'reviews-v2', weight: 100 }] },
        },
      },
    ];
    const app = sized(bookinfo({ reviewsImage: V3, reviewsLast: true, workflow: steps }));
    const { steps: ran } = simulate(begin(app, 'default', deployed, NOW), NOW);
    const at = (name: string) =>
      ran.find((s) => s.name === name)!.changes.find((c) => c.component === 'reviews')!.after;
    expect(at('canary').replicas).toEqual({ 'reviews-v1': 6, 'reviews-v2': 2 });
    expect(at('half').replicas).toEqual({ 'reviews-v1': 4, 'reviews-v2': 4 });
    expect(at('half').traffic).toEqual([
      { revision: 'reviews-v1', weight: 50 },
      { revision: 'reviews-v2', weight: 50 },
    ]);
    expect(at('all').replicas).toEqual({ 'reviews-v2': 8 });
    expect(ran.map((s) => s.phase)).toEqual([
      'succeeded',
      'suspended',
      'succeeded',
      'suspended',
      'succeeded',
    ]);
  });

  it('GIVEN a rollout file applied as a first deploy THEN its weights name a revision that will not exist, and it is refused before anything moves', () => {
    const app = bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow });
    expect(() => begin(app, 'default', undefined, NOW)).toThrow(
      'step rollout-1st-batch routes 10% to reviews-v2, but reviews has only reviews-v1 so far: this file rolls out from an earlier version; deploy that one first (plan: --from EARLIER_FILE)',
    );
  });

  it('GIVEN a suspend with a duration THEN it resumes by itself once the time has passed', () => {
    const app = bookinfo({ workflow: [{ name: 'wait', type: 'suspend', properties: { duration: '30s' } }] });
    const t = next(begin(app, 'default', undefined, NOW), NOW);
    expect(t.effect).toEqual({ kind: 'suspend', resumeAt: '2026-01-01T00:00:30.000Z' });
    expect(next(t.state, '2026-01-01T00:00:10.000Z').effect.kind).toBe('suspend');
    expect(next(t.state, '2026-01-01T00:00:30.000Z').state.workflow.phase).toBe('succeeded');
  });

  it('GIVEN a terminated workflow THEN resume is refused and pending steps are skipped', () => {
    const app = bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow });
    const deployed = settled(bookinfo(), 'default', undefined, NOW);
    const suspended = drive(begin(app, 'default', deployed, NOW)).state;
    const ended = operate(suspended, 'terminate', NOW);
    expect(ended.workflow.phase).toBe('terminated');
    expect(ended.workflow.steps.map((s) => s.phase)).toEqual(['succeeded', 'failed', 'skipped']);
    expect(() => operate(ended, 'resume', NOW)).toThrow('cannot resume a terminated workflow');
  });
});

describe('plan: each step as it stands when it ends', () => {
  it('GIVEN two canary steps with no gate between them THEN the first shows only its own batch, not the next step’s first move', () => {
    const deployed = settled(bookinfo(), 'default', undefined, NOW);
    const app = bookinfo({ reviewsImage: V3, batches: [1, 1] });
    const steps = [
      canary('canary', 0, { 'reviews-v1': 80, 'reviews-v2': 20 }),
      canary('all', undefined, { 'reviews-v2': 100 }),
    ];
    const { steps: ran } = simulate(begin({ ...app, workflow: steps }, 'default', deployed, NOW), NOW);
    expect(ran.map((s) => [s.name, s.phase])).toEqual([
      ['canary', 'succeeded'],
      ['all', 'succeeded'],
    ]);
    const first = ran[0]!.changes.find((c) => c.component === 'reviews')!.after;
    expect(first.replicas).toEqual({ 'reviews-v1': 1, 'reviews-v2': 1 });
    expect(first.traffic).toEqual([
      { revision: 'reviews-v1', weight: 80 },
      { revision: 'reviews-v2', weight: 20 },
    ]);
    // The second step's first move (scale reviews-v2 to 2) is its own, not the first's.
    expect(ran[0]!.moves.at(-1)).toBe('batch 1 of 2: scale reviews-v1 down to 1');
    expect(ran[1]!.moves[0]).toBe('batch 2 of 2: scale reviews-v2 to 2');
    expect(ran[1]!.changes.map((c) => [c.component, c.before, c.after.replicas])).toEqual([
      ['reviews', first, { 'reviews-v2': 2 }],
    ]);
  });
});

describe('rollback with two rollout components', () => {
  /** bookinfo with ratings rolled out too: canary-traffic and a rollout of 2 in batches of 1. */
  const twoCanaries = (image: string, ratingsImage: string, workflow?: WorkflowStep[]) => {
    const app = bookinfo({ reviewsImage: image, batches: [1, 1], ...(workflow ? { workflow } : {}) });
    const ratings = app.components.find((c) => c.name === 'ratings')!;
    ratings.properties.image = ratingsImage;
    ratings.traits = [
      { type: 'canary-traffic', properties: { port: [9080] } },
      { type: 'rollout', properties: { targetSize: 2, rolloutBatches: [{ replicas: 1 }, { replicas: 1 }] } },
    ];
    return app;
  };
  const half = (component: string) =>
    canary(`canary-${component}`, 0, { [`${component}-v1`]: 50, [`${component}-v2`]: 50 }, component);
  const pause = gate('gate');
  const deployed = settled(twoCanaries('reviews:1', 'ratings:1'), 'default', undefined, NOW);
  const rollBackAll = (s: AppState, named?: string) => {
    let state = startRollback(s, NOW, named);
    for (let guard = 0; guard < 100; guard++) {
      const t = next(state, NOW);
      state = t.state;
      if (t.effect.kind === 'finish') return state;
    }
    throw new Error('rollback did not finish');
  };
  const at = (s: AppState, c: string) => [s.placement[c]!.replicas, s.placement[c]!.traffic];

  it('GIVEN both components mid-canary WHEN rolled back without a name THEN both are put back, each traffic first', () => {
    const app = twoCanaries('reviews:2', 'ratings:2', [half('reviews'), half('ratings'), pause]);
    const { state } = drive(begin(app, 'default', deployed, NOW));
    expect(state.workflow.phase).toBe('suspended');
    // Each rollback waits only on what it puts back: a never-ready ratings canary cannot hold up
    // the rollback of reviews.
    expect(readinessGates(startRollback(state, NOW))).toEqual(['reviews-v1']);
    const back = rollBackAll(state);
    expect(back.workflow.phase).toBe('succeeded');
    expect(back.workflow.steps.map((s) => s.name)).toEqual(['rollback-reviews', 'rollback-ratings']);
    expect(at(back, 'reviews')).toEqual([{ 'reviews-v1': 2 }, [{ revision: 'reviews-v1', weight: 100 }]]);
    expect(at(back, 'ratings')).toEqual([{ 'ratings-v1': 2 }, [{ revision: 'ratings-v1', weight: 100 }]]);
  });

  it('GIVEN only the second component changed WHEN rolled back without a name THEN that one is put back, not the first', () => {
    const app = twoCanaries('reviews:1', 'ratings:2', [half('ratings'), pause]);
    const { state } = drive(begin(app, 'default', deployed, NOW));
    const back = rollBackAll(state);
    expect(back.workflow.steps.map((s) => s.name)).toEqual(['rollback']);
    expect(at(back, 'ratings')).toEqual([{ 'ratings-v1': 2 }, [{ revision: 'ratings-v1', weight: 100 }]]);
    expect(back.placement.reviews!.replicas).toEqual({ 'reviews-v1': 2 });
  });

  it('GIVEN both get new images but only the first has moved (held at a gate) THEN naming the second is refused, and an unnamed rollback leaves the second alone', () => {
    const app = twoCanaries('reviews:2', 'ratings:2', [half('reviews'), pause, half('ratings')]);
    const { state } = drive(begin(app, 'default', deployed, NOW));
    expect(state.workflow.phase).toBe('suspended');
    expect(() => startRollback(state, NOW, 'ratings')).toThrow(
      'ratings already runs only ratings-v1; there is nothing to roll back',
    );
    const back = rollBackAll(state);
    expect(back.workflow.steps.map((s) => s.name)).toEqual(['rollback']);
    expect(at(back, 'reviews')).toEqual([{ 'reviews-v1': 2 }, [{ revision: 'reviews-v1', weight: 100 }]]);
    expect(back.placement.ratings).toEqual(state.placement.ratings);
  });

  it('GIVEN both mid-canary WHEN one is named THEN only it is put back', () => {
    const app = twoCanaries('reviews:2', 'ratings:2', [half('reviews'), half('ratings'), pause]);
    const { state } = drive(begin(app, 'default', deployed, NOW));
    const back = rollBackAll(state, 'ratings');
    expect(at(back, 'ratings')).toEqual([{ 'ratings-v1': 2 }, [{ revision: 'ratings-v1', weight: 100 }]]);
    expect(back.placement.reviews!.replicas).toEqual({ 'reviews-v1': 1, 'reviews-v2': 1 });
  });
});

describe('workflow restart after the canary advanced', () => {
  it('GIVEN a rollout held at its second gate (4+4, 50/50) WHEN restarted THEN the old revision grows back before the first step’s weights, and the canary shrinks last', () => {
    const eight = (app: ReturnType<typeof bookinfo>) => {
      const t = app.components[0]!.traits[1]!;
      if (t.type === 'rollout') {
        t.properties.targetSize = 8;
        t.properties.rolloutBatches = [{ replicas: 2 }, { replicas: 2 }, { replicas: 4 }];
      }
      return app;
    };
    const split = (v1: number) => ({ 'reviews-v1': v1, 'reviews-v2': 100 - v1 });
    const steps = [
      canary('canary', 0, split(80)),
      gate('gate-1'),
      canary('half', 1, split(50)),
      gate('gate-2'),
    ];
    const deployed = settled(eight(bookinfo()), 'default', undefined, NOW);
    let s = drive(
      begin(eight(bookinfo({ reviewsImage: V3, workflow: steps })), 'default', deployed, NOW),
    ).state;
    s = drive(operate(s, 'resume', NOW)).state;
    expect(reviews(s).replicas).toEqual({ 'reviews-v1': 4, 'reviews-v2': 4 });
    const { state, notes } = drive(operate(s, 'restart', NOW));
    expect(notes).toEqual([
      'back to batch 1: scale reviews-v1 up to 6',
      'route 80% to reviews-v1, 20% to reviews-v2',
      'back to batch 1: scale reviews-v2 down to 2',
    ]);
    expect(state.workflow.steps.map((st) => st.phase)).toEqual([
      'succeeded',
      'suspended',
      'pending',
      'pending',
    ]);
    expect(reviews(state).replicas).toEqual({ 'reviews-v1': 6, 'reviews-v2': 2 });
  });
});

describe('traffic while batches move', () => {
  const deployed = settled(bookinfo({ batches: [1, 1] }), 'default', undefined, NOW);

  it('GIVEN a file with no workflow and no weights THEN nothing is pinned: traffic follows the pods through the Service, as in KubeVela', () => {
    const { state, notes } = drive(
      begin(bookinfo({ reviewsImage: V3, batches: [1, 1] }), 'default', deployed, NOW),
    );
    expect(notes.filter((n) => n.startsWith('route'))).toEqual([]);
    expect(reviews(state).traffic).toBeUndefined();
    expect(reviews(state).replicas).toEqual({ 'reviews-v2': 2 });
  });

  it('GIVEN a last step that leaves the old revision at 0% THEN no route or subset is left pointing at it once it is gone', () => {
    const app = bookinfo({
      reviewsImage: V3,
      batches: [1, 1],
      workflow: [
        canary('canary', 0, { 'reviews-v1': 90, 'reviews-v2': 10 }),
        canary('rest', 1, { 'reviews-v1': 0, 'reviews-v2': 100 }),
      ],
    });
    const { state } = drive(begin(app, 'default', deployed, NOW));
    expect(state.workflow.phase).toBe('succeeded');
    expect(reviews(state).replicas).toEqual({ 'reviews-v2': 2 });
    expect(reviews(state).traffic).toEqual([{ revision: 'reviews-v2', weight: 100 }]);
    expect(reviews(state).subsets).toEqual(['reviews-v2']);
  });
});

describe('workflow restart after a finished rollout', () => {
  it('GIVEN the seed rollout finished THEN restart is refused, saying the rollout finished and how to go back', () => {
    const deployed = settled(bookinfo({ batches: [1, 1] }), 'default', undefined, NOW);
    const app = bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow });
    let s = drive(begin(app, 'default', deployed, NOW)).state;
    s = drive(operate(s, 'resume', NOW)).state;
    expect(s.workflow.phase).toBe('succeeded');
    expect(() => operate(s, 'restart', NOW)).toThrow(
      'step rollout-1st-batch routes 90% to reviews-v1, but reviews has finished rolling out to reviews-v2 and reviews-v1 no longer runs; to go back to it, use `vela-ts rollback`',
    );
  });
});

describe('workflow: a step that fails', () => {
  const deployed = settled(bookinfo(), 'default', undefined, NOW);
  const rollout = bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow });
  const LATER = '2026-01-01T00:05:00.000Z';

  it('GIVEN the canary at 90/10 WHEN the rest of the rollout fails THEN that step failed, nothing after it runs, and the message says where traffic stays', () => {
    const atGate = drive(begin(rollout, 'default', deployed, NOW)).state;
    // Its first move (scale reviews-v2 to 2) is recorded; then the wait for it fails.
    const running = next(operate(atGate, 'resume', NOW), NOW).state;
    expect(running.workflow.phase).toBe('running');
    const failed = failStep(running, 'reviews-v2 is not ready after 10m', LATER);
    expect(failed.workflow).toMatchObject({
      phase: 'failed',
      finishedAt: LATER,
      message:
        'step rollout-rest: reviews-v2 is not ready after 10m\ntraffic stays where it was: 90% reviews-v1, 10% reviews-v2',
    });
    expect(failed.workflow.steps.map((s) => [s.name, s.phase, s.message])).toEqual([
      ['rollout-1st-batch', 'succeeded', undefined],
      ['manual-approval', 'succeeded', undefined],
      ['rollout-rest', 'failed', 'reviews-v2 is not ready after 10m'],
    ]);
    expect(failed.placement).toEqual(running.placement);
  });
});

describe('workflow: stable and canary instead of revision names', () => {
  const NOW2 = '2026-01-02T00:00:00.000Z';
  const steps = [
    canary('first-batch', 0, { stable: 90, canary: 10 }),
    gate('approve'),
    canary('rest', undefined, { canary: 100 }),
  ];
  const release = (image: string) => bookinfo({ reviewsImage: image, batches: [1, 1], workflow: steps });

  it('GIVEN one file WHEN three images are released in a row, changing only the image THEN each stops at its gate at 90/10 and finishes at 100%', () => {
    let s = settled(bookinfo({ batches: [1, 1] }), 'default', undefined, NOW);
    const seen: unknown[] = [];
    for (const image of ['reviews:3', 'reviews:4', 'reviews:5']) {
      const atGate = drive(begin(release(image), 'default', s, NOW2)).state;
      expect(atGate.workflow.phase).toBe('suspended');
      const done = drive(operate(atGate, 'resume', NOW2)).state;
      expect(done.workflow.phase).toBe('succeeded');
      seen.push([reviews(atGate).traffic, reviews(done).traffic, reviews(done).replicas]);
      s = done;
    }
    expect(seen).toEqual([
      [
        [
          { revision: 'reviews-v1', weight: 90 },
          { revision: 'reviews-v2', weight: 10 },
        ],
        [{ revision: 'reviews-v2', weight: 100 }],
        { 'reviews-v2': 2 },
      ],
      [
        [
          { revision: 'reviews-v2', weight: 90 },
          { revision: 'reviews-v3', weight: 10 },
        ],
        [{ revision: 'reviews-v3', weight: 100 }],
        { 'reviews-v3': 2 },
      ],
      [
        [
          { revision: 'reviews-v3', weight: 90 },
          { revision: 'reviews-v4', weight: 10 },
        ],
        [{ revision: 'reviews-v4', weight: 100 }],
        { 'reviews-v4': 2 },
      ],
    ]);
  });

  it('GIVEN a finished release WHEN the same file changes only another component THEN it is applied without refusing, without a gate, and reviews is left as it is', () => {
    const s0 = settled(bookinfo({ batches: [1, 1] }), 'default', undefined, NOW);
    const released = drive(
      operate(drive(begin(release('reviews:3'), 'default', s0, NOW2)).state, 'resume', NOW2),
    ).state;
    const other = release('reviews:3');
    other.components.find((c) => c.name === 'ratings')!.properties = {
      ...other.components.find((c) => c.name === 'ratings')!.properties,
      image: 'ratings:2',
    };
    const { state, notes } = drive(begin(other, 'default', released, NOW2));
    expect(state.workflow.phase).toBe('succeeded');
    expect(state.workflow.steps.map((st) => [st.name, st.phase])).toEqual([
      ['first-batch', 'skipped'],
      ['approve', 'skipped'],
      ['rest', 'skipped'],
    ]);
    expect(notes).toEqual([]);
    expect(reviews(state)).toEqual(reviews(released));
  });
});

describe('workflow: what the choices at a gate would do', () => {
  it('GIVEN the seed at its approval THEN c previews the rest of the rollout and r the rollback, both from the workflow core', async () => {
    const { gatePreview } = await import('../../src/workflow/preview.js');
    const deployed = settled(bookinfo(), 'default', undefined, NOW);
    const rollout = bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow });
    const atGate = drive(begin(rollout, 'default', deployed, NOW)).state;
    expect(gatePreview(atGate, NOW)).toEqual({
      continue: [
        'rollout-rest: batch 2 of 2: scale reviews-v2 to 2',
        'rollout-rest: route 100% to reviews-v2',
        'rollout-rest: remove subsets reviews-v1 from DestinationRule reviews',
        'rollout-rest: batch 2 of 2: remove reviews-v1',
      ],
      rollback: [
        'scale reviews-v1 back to 2 before it takes all the traffic',
        'route 100% to reviews-v1',
        'remove subsets reviews-v2 from DestinationRule reviews',
        'remove reviews-v2',
      ],
    });
    // Not at a gate: nothing to preview.
    expect(gatePreview(deployed, NOW)).toBeUndefined();
  });
});
