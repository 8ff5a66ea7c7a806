import type { ClusterClient, KubeObject } from '../../src/cluster/types.js';
import { waitReady } from '../../src/engine/readiness.js';
import { ClusterError } from '../../src/errors.js';

// What a wait sees, one watch event at a time: a Deployment whose controller gave up on it.

const stuck: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'reviews-v2', generation: 1 },
  spec: { replicas: 2 },
  status: {
    observedGeneration: 1,
    replicas: 2,
    updatedReplicas: 2,
    readyReplicas: 0,
    availableReplicas: 0,
    conditions: [
      {
        type: 'Progressing',
        status: 'False',
        reason: 'ProgressDeadlineExceeded',
        message: 'ReplicaSet "reviews-v2-5d8f" has timed out progressing.',
      },
    ],
  },
};

/** A cluster whose watch delivers `objects` once; a predicate that is not satisfied would wait on. */
function watching(objects: KubeObject[]): ClusterClient {
  return {
    waitFor: (_kind, _ns, done) => {
      const map = new Map(objects.map((o) => [o.metadata.name, o]));
      return done(map) ? Promise.resolve(map) : new Promise(() => undefined);
    },
  } as Partial<ClusterClient> as ClusterClient;
}

describe('readiness', () => {
  it('GIVEN a Deployment reporting ProgressDeadlineExceeded THEN the wait fails at once, naming the condition and its message, not after the whole timeout', async () => {
    const err = await waitReady(watching([stuck]), 'default', 'book-info', ['reviews-v2'], 600_000).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ClusterError);
    expect((err as ClusterError).reason).toBe('Timeout');
    expect((err as Error).message).toBe(
      'not ready: reviews-v2: its progress deadline was exceeded (Progressing=False, ProgressDeadlineExceeded: ReplicaSet "reviews-v2-5d8f" has timed out progressing.)',
    );
  });

  it('GIVEN a Deployment still progressing THEN the wait goes on', async () => {
    const progressing = {
      ...stuck,
      status: {
        ...(stuck.status as object),
        conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }],
      },
    };
    const settled = await Promise.race([
      waitReady(watching([progressing]), 'default', 'book-info', ['reviews-v2'], 600_000).then(() => 'ended'),
      Promise.resolve().then(() => 'waiting'),
    ]);
    expect(settled).toBe('waiting');
  });
});
