/**
 * `diff`'s view of one object: the live object against the server's answer to the dry run, both
 * without server-managed noise, each changed field with its old and new value.
 */
import { diff, up, type EngineContext } from '../../src/engine/index.js';
import { dottedPath, fieldChanges, maskSecrets, withoutNoise } from '../../src/engine/objdiff.js';
import type { KubeObject } from '../../src/kube.js';
import { bookinfo } from '../fixtures/apps.js';
import { engineContext } from '../helpers/engine-context.js';
import { MemoryCluster } from '../helpers/memory-cluster.js';

const deployment = (replicas: number, image: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', ...extra },
  spec: {
    replicas,
    template: {
      spec: {
        containers: [
          { name: 'sidecar', image: 'proxy:1' },
          { name: 'web', image, ports: [{ containerPort: 80 }] },
        ],
      },
    },
  },
});

describe('fieldChanges: what turns the live object into the one after', () => {
  it('GIVEN replicas 2 -> 3 and a new image THEN two replaces, each with its old and new value', () => {
    expect(fieldChanges(deployment(2, 'web:1'), deployment(3, 'web:2'))).toEqual([
      { op: 'replace', path: '/spec/replicas', old: 2, value: 3 },
      { op: 'replace', path: '/spec/template/spec/containers/1/image', old: 'web:1', value: 'web:2' },
    ]);
  });

  it('GIVEN equal objects THEN no change', () => {
    expect(fieldChanges(deployment(2, 'web:1'), deployment(2, 'web:1'))).toEqual([]);
  });

  it('GIVEN a named list whose items change THEN items are matched by name: a removal and an addition, not a rewrite', () => {
    const before = {
      subsets: [
        { name: 'v1', labels: { r: 'v1' } },
        { name: 'v2', labels: { r: 'v2' } },
      ],
    };
    const after = {
      subsets: [
        { name: 'v2', labels: { r: 'v2' } },
        { name: 'v3', labels: { r: 'v3' } },
      ],
    };
    expect(fieldChanges(before, after)).toEqual([
      { op: 'remove', path: '/subsets/0', old: { name: 'v1', labels: { r: 'v1' } } },
      { op: 'add', path: '/subsets/1', value: { name: 'v3', labels: { r: 'v3' } } },
    ]);
  });

  it('GIVEN an unnamed list of another length THEN the list is replaced whole; a field that appears is an add, one that goes a remove', () => {
    expect(fieldChanges({ hosts: ['a'], x: 1 }, { hosts: ['a', 'b'], y: 'a/b' })).toEqual([
      { op: 'replace', path: '/hosts', old: ['a'], value: ['a', 'b'] },
      { op: 'remove', path: '/x', old: 1 },
      { op: 'add', path: '/y', value: 'a/b' },
    ]);
  });

  it('GIVEN keys with / and ~ THEN the pointer escapes them (RFC 6901), and dottedPath reads them back', () => {
    const [change] = fieldChanges(
      { labels: { 'app.oam.dev/name': 'a' } },
      { labels: { 'app.oam.dev/name': 'b' } },
    );
    expect(change?.path).toBe('/labels/app.oam.dev~1name');
    expect(dottedPath(change?.path ?? '')).toBe('labels.app.oam.dev/name');
    expect(dottedPath('/spec/template/spec/containers/1/image')).toBe(
      'spec.template.spec.containers[1].image',
    );
    expect(dottedPath('')).toBe('(whole object)');
  });
});

describe('withoutNoise and maskSecrets', () => {
  it("GIVEN a live object THEN server-managed metadata, status and vela-ts's hash annotation are left out, other annotations kept", () => {
    const live = {
      ...deployment(2, 'web:1', {
        uid: 'u',
        resourceVersion: '7',
        generation: 3,
        creationTimestamp: '2026-01-01T00:00:00Z',
        managedFields: [{ manager: 'vela-ts' }],
        annotations: { 'vela-ts.dev/applied-hash': 'abc', team: 'shop' },
      }),
      status: { readyReplicas: 2 },
    };
    expect(withoutNoise(live)).toEqual({
      ...deployment(2, 'web:1', { annotations: { team: 'shop' } }),
    });
    expect(
      withoutNoise(deployment(2, 'web:1', { annotations: { 'vela-ts.dev/applied-hash': 'abc' } })),
    ).toEqual(deployment(2, 'web:1'));
  });

  it('GIVEN a Secret THEN no value is ever shown: *** when it stays, *** (before)/(after) when it changes', () => {
    const secret = (data: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data,
    });
    const { before, after } = maskSecrets(
      secret({ same: 'c2FtZQ==', changed: 'b2xk', gone: 'eA==' }),
      secret({ same: 'c2FtZQ==', changed: 'bmV3', added: 'eQ==' }),
    );
    expect(before?.data).toEqual({ same: '***', changed: '*** (before)', gone: '*** (before)' });
    expect(after?.data).toEqual({ same: '***', changed: '*** (after)', added: '*** (after)' });
    const text = JSON.stringify(fieldChanges(before, after));
    for (const value of ['c2FtZQ==', 'b2xk', 'bmV3', 'eA==', 'eQ==']) expect(text).not.toContain(value);
  });

  it('GIVEN another kind THEN it passes through untouched', () => {
    const d = deployment(1, 'web:1');
    expect(maskSecrets(d, undefined)).toEqual({ before: d, after: undefined });
  });
});

describe('diff on the recording fake', () => {
  const context = (cluster: MemoryCluster): EngineContext => engineContext(cluster);

  it('GIVEN a deployed app and a file with a new image for a plain component THEN its Deployment is an update showing old and new image, and nothing is written', async () => {
    const cluster = new MemoryCluster();
    const app = bookinfo();
    await up(context(cluster), app, 'default');
    const changed = bookinfo();
    const details = changed.components.find((c) => c.name === 'details');
    if (!details) throw new Error('fixture has no details');
    details.properties = {
      ...details.properties,
      image: 'docker.io/istio/examples-bookinfo-details-v2:1.16.2',
    };
    const writes = cluster.writes().length;

    const report = await diff(context(cluster), changed, 'default');

    expect(cluster.writes()).toHaveLength(writes);
    expect(report.specChanged).toBe(true);
    expect(report.objects.map((o) => `${o.action} ${o.object}`)).toEqual(['update Deployment/details']);
    expect(report.objects[0]?.fields).toEqual([
      // A new pod template is a new revision of a plain component too.
      {
        op: 'replace',
        path: '/spec/template/metadata/labels/app.oam.dev~1revision',
        old: 'details-v1',
        value: 'details-v2',
      },
      {
        op: 'replace',
        path: '/spec/template/spec/containers/0/image',
        old: 'docker.io/istio/examples-bookinfo-details-v1:1.16.2',
        value: 'docker.io/istio/examples-bookinfo-details-v2:1.16.2',
      },
    ]);
    // The sides are the objects themselves, without the server's bookkeeping.
    expect(report.objects[0]?.before?.metadata).not.toHaveProperty('resourceVersion');
    expect(report.objects[0]?.after).not.toHaveProperty('status');
  });

  it('GIVEN an unchanged spec THEN no objects and no rollback note', async () => {
    const cluster = new MemoryCluster();
    await up(context(cluster), bookinfo(), 'default');
    const report = await diff(context(cluster), bookinfo(), 'default');
    expect(report).toEqual({ specChanged: false, steps: [], objects: [], rolledBack: [] });
  });
});
