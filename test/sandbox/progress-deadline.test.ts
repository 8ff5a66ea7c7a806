/**
 * A Deployment past its progress deadline stays Progressing=False/ProgressDeadlineExceeded, as the
 * real deployment controller keeps it, until the rollout makes progress again. The controller runs
 * on a manual clock here, so the deadline passes when the test says and at no other time.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Sandbox } from '../../src/sandbox/index.js';
import type { Clock } from '../../src/sandbox/util.js';
import { deployment, raw, start, waitFor } from './helpers.js';

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const DEADLINE_S = 600;

/** Timers fire only when the test advances time. */
class ManualClock implements Clock {
  private t = Math.floor(Date.now() / 1000) * 1000;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.next;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  advance(ms: number): void {
    this.t += ms;
    for (;;) {
      const due = [...this.timers].filter(([, x]) => x.at <= this.t).sort(([, a], [, b]) => a.at - b.at)[0];
      if (!due) return;
      this.timers.delete(due[0]);
      due[1].fn();
    }
  }
}

const progressing = (d: any) => d.status?.conditions?.find((c: any) => c.type === 'Progressing');

describe('the progress deadline', () => {
  let sb: Sandbox;
  let kc: KubeConfig;
  const clock = new ManualClock();
  beforeAll(async () => {
    ({ sb, kc } = await start({ readyDelayMs: 1000, clock }));
  });
  afterAll(() => sb.close());

  /** A write the controller reconciles; once its answer is here, so is the controller's status write. */
  let touches = 0;
  const touchAndRead = async (name: string) => {
    const touched = await raw(sb, 'PATCH', `${DEPLOYMENTS}/${name}`, {
      body: { metadata: { annotations: { touch: String(++touches) } } },
      contentType: 'application/merge-patch+json',
    });
    expect(touched.status).toBe(200);
    return (await raw(sb, 'GET', `${DEPLOYMENTS}/${name}`)).body;
  };

  test('GIVEN a rollout that times out THEN it stays ProgressDeadlineExceeded while nothing progresses, and leaves it when a new template progresses', async () => {
    const created = await raw(sb, 'POST', DEPLOYMENTS, {
      body: deployment('stuck', 1, 'never-ready', { progressDeadlineSeconds: DEADLINE_S }),
    });
    expect(created.status).toBe(201);
    await waitFor(
      kc,
      DEPLOYMENTS,
      { fieldSelector: 'metadata.name=stuck' },
      (_t, d) => d.status?.replicas === 1,
    );
    clock.advance(1000); // the pod starts, never ready

    clock.advance(DEADLINE_S * 1000 + 1);
    const timedOut = await waitFor(
      kc,
      DEPLOYMENTS,
      { fieldSelector: 'metadata.name=stuck' },
      (_t, d) => progressing(d)?.reason === 'ProgressDeadlineExceeded',
    );
    const first = progressing(timedOut);
    expect(first).toMatchObject({
      status: 'False',
      message: expect.stringContaining('has timed out progressing'),
    });

    // Deadline after deadline without progress: the same condition, times untouched.
    for (let i = 0; i < 3; i++) {
      const d = await touchAndRead('stuck');
      expect(progressing(d)).toEqual(first);
      clock.advance(DEADLINE_S * 1000 + 1);
    }
    expect(progressing(await touchAndRead('stuck'))).toEqual(first);

    // A new template is a new rollout: it progresses, then completes.
    const fixed = await raw(sb, 'PATCH', `${DEPLOYMENTS}/stuck`, {
      body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } } },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(fixed.status).toBe(200);
    const moving = await touchAndRead('stuck');
    expect(progressing(moving)).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated' });
    clock.advance(1000);
    const done = await waitFor(
      kc,
      DEPLOYMENTS,
      { fieldSelector: 'metadata.name=stuck' },
      (_t, d) => progressing(d)?.reason === 'NewReplicaSetAvailable',
    );
    expect(progressing(done).status).toBe('True');
  });
});
