/** A name that is not there: a close name, what is there instead, and `vela-ts ls -A` when nothing is. */
import { checkRollbackComponent, missingApp } from '../../src/engine/missing.js';
import { UsageError } from '../../src/errors.js';
import type { AppState } from '../../src/workflow/index.js';
import { bookinfo } from '../fixtures/apps.js';
import { MemoryCluster } from '../helpers/memory-cluster.js';

const stateCm = (app: string, namespace: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: `vela-ts-${app}`,
    namespace,
    labels: {
      'app.oam.dev/name': app,
      'vela-ts.dev/app-state': 'true',
      'app.kubernetes.io/managed-by': 'vela-ts',
    },
  },
  data: {},
});

describe('missingApp', () => {
  it('GIVEN a misspelt name THEN did you mean the close one, and the apps of the namespace', async () => {
    const cluster = new MemoryCluster();
    for (const app of ['pets', 'shop']) cluster.put(stateCm(app, 'default'));
    const err = await missingApp(cluster, 'default', 'petz');
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(
      'no vela-ts app "petz" in namespace default; did you mean "pets"? The apps in namespace default: pets, shop.',
    );
  });

  it('GIVEN no close name THEN only the apps there, no suggestion', async () => {
    const cluster = new MemoryCluster();
    cluster.put(stateCm('shop', 'default'));
    expect((await missingApp(cluster, 'default', 'book-info')).message).toBe(
      'no vela-ts app "book-info" in namespace default. The apps in namespace default: shop.',
    );
  });

  it('GIVEN a namespace with no app THEN it says so and points at vela-ts ls -A', async () => {
    const cluster = new MemoryCluster();
    cluster.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    expect((await missingApp(cluster, 'default', 'petz')).message).toBe(
      'no vela-ts app "petz" in namespace default, which has no vela-ts app; `vela-ts ls -A` lists the apps of every namespace',
    );
  });

  it('GIVEN a namespace that does not exist THEN it says that', async () => {
    expect((await missingApp(new MemoryCluster(), 'nowhere', 'petz')).message).toBe(
      'no vela-ts app "petz" in namespace nowhere: the namespace does not exist; `vela-ts ls -A` lists the apps of every namespace',
    );
  });

  it('GIVEN many apps THEN ten are named and the rest counted', async () => {
    const cluster = new MemoryCluster();
    for (let i = 10; i < 22; i++) cluster.put(stateCm(`app-${i}`, 'default'));
    expect((await missingApp(cluster, 'default', 'zzz')).message).toContain('app-18, app-19, ... (2 more).');
  });
});

describe('checkRollbackComponent', () => {
  const state = { app: bookinfo() } as unknown as AppState;
  const refusal = (named: string) => {
    try {
      checkRollbackComponent(state, named);
    } catch (err) {
      return err;
    }
    return undefined;
  };

  it('GIVEN the rollout component THEN no objection', () => {
    expect(refusal('reviews')).toBeUndefined();
  });

  it('GIVEN a misspelt component THEN did you mean, and the components that qualify', () => {
    const err = refusal('reviwes');
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      'book-info has no component reviwes; did you mean "reviews"? The components it can roll back (with a rollout trait): reviews.',
    );
  });

  it('GIVEN a component without a rollout trait THEN why not, and the ones that qualify', () => {
    expect((refusal('details') as Error).message).toBe(
      'component details of book-info has no rollout trait, so it has no revision to roll back to; the components it can roll back (with a rollout trait): reviews.',
    );
  });

  it('GIVEN an app with no rollout component THEN its components are listed', () => {
    const app = bookinfo();
    app.components = app.components.filter((c) => c.name !== 'reviews');
    const none = { app } as unknown as AppState;
    expect(() => checkRollbackComponent(none, 'reviews')).toThrow(
      'book-info has no component reviews; none of its components has a rollout trait, so none has a revision to roll back to (its components: productpage, ratings, details).',
    );
  });
});
