import path from 'node:path';
import { kubevelaExamples, repoRoot } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

// A name that is not there is bad input (exit 2) and the message helps: a close name, what is
// there, where else the name lives, `vela-ts ls -A` when nothing is.

describe('an app or component that is not there', () => {
  let c: SandboxCluster;
  beforeAll(async () => {
    c = await new SandboxCluster().start();
    await c.createNamespace('shop');
    await c.createNamespace('empty');
    expect(await c.vela(['up', path.join(kubevelaExamples, 'first-deploy.yaml')])).toMatchObject({ code: 0 });
    expect(await c.vela(['up', path.join(repoRoot, 'examples/checkout/app.yaml')])).toMatchObject({
      code: 0,
    });
  });
  afterAll(() => c.stop());

  it('GIVEN a misspelt app THEN did you mean, and the apps of the namespace', async () => {
    expect(await c.vela(['status', 'book-inf'])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: no vela-ts app "book-inf" in namespace default; did you mean "book-info"? The apps in namespace default: book-info.\n',
    });
  });

  it('GIVEN an app that lives in another namespace THEN it names that namespace', async () => {
    const res = await c.vela(['history', 'shop']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      'error: no vela-ts app "shop" in namespace default. The apps in namespace default: book-info. An app "shop" is in namespace shop: add -n shop.\n',
    );
  });

  it('GIVEN a namespace with no app THEN it says so and points at vela-ts ls -A, named or not', async () => {
    expect((await c.vela(['workflow', 'resume', 'petz', '-n', 'empty'])).stderr).toBe(
      'error: no vela-ts app "petz" in namespace empty, which has no vela-ts app; `vela-ts ls -A` lists the apps of every namespace\n',
    );
    const unnamed = await c.vela(['status', '-n', 'empty']);
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toContain('`vela-ts ls -A` lists the apps of every namespace');
  });

  it('GIVEN a namespace that does not exist THEN that, and where the app is', async () => {
    const res = await c.vela(['status', 'book-info', '-n', 'nowhere']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      'error: no vela-ts app "book-info" in namespace nowhere: the namespace does not exist. An app "book-info" is in namespace default: add -n default.\n',
    );
  });

  it('GIVEN rollback --component with a misspelt or unsuitable component THEN exit 2 naming those that qualify, and nothing is written', async () => {
    const before = c.audit().length;
    const typo = await c.vela(['rollback', 'book-info', '--component', 'reviwes']);
    expect(typo).toMatchObject({ code: 2 });
    expect(typo.stderr).toBe(
      'error: book-info has no component reviwes; did you mean "reviews"? The components it can roll back (with a rollout trait): reviews.\n',
    );
    const plain = await c.vela(['rollback', 'book-info', '--component', 'details']);
    expect(plain.stderr).toBe(
      'error: component details of book-info has no rollout trait, so it has no revision to roll back to; the components it can roll back (with a rollout trait): reviews.\n',
    );
    const writes = c
      .audit()
      .slice(before)
      .filter((r) => r.method !== 'GET');
    expect(writes).toEqual([]);
  });
});
