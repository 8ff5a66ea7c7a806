import { Store } from '../../src/sandbox/store.js';
import type { KObject } from '../../src/sandbox/util.js';

const obj = (
  namespace: string | undefined,
  name: string,
  extra: Partial<KObject['metadata']> = {},
): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, ...(namespace !== undefined ? { namespace } : {}), ...extra },
});
const names = (os: KObject[]) => os.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`);

describe('the sandbox store', () => {
  it('GIVEN objects in namespaces whose names prefix each other THEN a list of all is in etcd key order, and a namespace lists only its own', () => {
    const s = new Store();
    for (const [ns, n] of [
      ['a', 'x'],
      ['a-b', 'y'],
      ['a', 'b'],
      ['ab', 'z'],
    ] as const)
      s.put('pods', obj(ns, n));
    // '-' sorts before '/', so etcd's keys put a-b/ before a/.
    expect(names(s.list('pods'))).toEqual(['a-b/y', 'a/b', 'a/x', 'ab/z']);
    expect(names(s.list('pods', 'a'))).toEqual(['a/b', 'a/x']);
    expect(s.list('pods', 'none')).toEqual([]);
    expect(s.list('services')).toEqual([]);
  });

  it('GIVEN a filter THEN only what it accepts is returned, as copies the caller may change', () => {
    const s = new Store();
    s.put('pods', obj('ns', 'keep', { labels: { app: 'a' } }));
    s.put('pods', obj('ns', 'skip', { labels: { app: 'b' } }));
    const [got] = s.list('pods', 'ns', (o) => o.metadata.labels?.app === 'a');
    expect(names(got ? [got] : [])).toEqual(['ns/keep']);
    got!.metadata.labels!.app = 'changed';
    expect(s.get('pods', 'ns', 'keep')!.metadata.labels).toEqual({ app: 'a' });
  });

  it('GIVEN owner references that change and objects that go THEN the objects owned by a uid follow', () => {
    const s = new Store();
    const owner = (uid: string) => ({
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid }],
    });
    s.put('pods', obj('ns', 'p1', owner('u1')));
    s.put('pods', obj('ns', 'p2', owner('u1')));
    s.put('pods', obj('other', 'p3', owner('u1')));
    s.put('services', obj('ns', 's1', owner('u1')));
    expect(names(s.listOwned('pods', 'ns', 'u1'))).toEqual(['ns/p1', 'ns/p2']);
    expect(names(s.listOwned('pods', undefined, 'u1'))).toEqual(['ns/p1', 'ns/p2', 'other/p3']);
    s.put('pods', obj('ns', 'p2', owner('u2')));
    s.delete('pods', 'ns', 'p1');
    expect(names(s.listOwned('pods', 'ns', 'u1'))).toEqual([]);
    expect(names(s.listOwned('pods', 'ns', 'u2'))).toEqual(['ns/p2']);
    expect(names(s.listOwned('services', 'ns', 'u1'))).toEqual(['ns/s1']);
  });

  it('GIVEN restored objects THEN they are found by name, list, owner and dump, and resourceVersions go on from the snapshot', () => {
    const s = new Store(41);
    s.restore(
      'pods',
      obj('ns', 'p', {
        resourceVersion: '40',
        ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u' }],
      }),
    );
    s.restore('namespaces', obj(undefined, 'ns'));
    expect(s.get('pods', 'ns', 'p')?.metadata.resourceVersion).toBe('40');
    expect(names(s.listOwned('pods', 'ns', 'u'))).toEqual(['ns/p']);
    expect(s.dump().map((d) => `${d.resource} ${d.object.metadata.name}`)).toEqual([
      'namespaces ns',
      'pods p',
    ]);
    expect(s.put('pods', obj('ns', 'q')).metadata.resourceVersion).toBe('42');
  });
});
