import { Api } from '../../src/sandbox/api.js';
import { EVENTS_AFTER_TRIM, EventRecorder, MAX_EVENTS } from '../../src/sandbox/events.js';
import { Registry } from '../../src/sandbox/registry.js';
import { Store } from '../../src/sandbox/store.js';
import { realClock, type KObject } from '../../src/sandbox/util.js';

// The recorder on a store of its own: what it keeps, and how often it copies all of it.
describe('the Events the sandbox keeps', () => {
  const registry = new Registry();
  const events = registry.byKind('', 'Event')!;
  let store: Store;
  let recorder: EventRecorder;
  let fullLists: number;

  beforeEach(() => {
    store = new Store();
    const api = new Api(store, registry, realClock, { clusterIP: () => '10.96.0.1', nodePort: () => 30000 });
    const namespaces = registry.byKind('', 'Namespace')!;
    api.systemWrite(
      namespaces,
      undefined,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
      'test',
    );
    recorder = new EventRecorder(api, registry, realClock, 60 * 60 * 1000);
    fullLists = 0;
    const list = store.list.bind(store);
    store.list = (rt, namespace, filter) => {
      if (namespace === undefined && filter === undefined) fullLists++;
      return list(rt, namespace, filter);
    };
  });
  afterEach(() => recorder.stop());

  const pod = (i: number): KObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${i}`, namespace: 'default', uid: `uid-${i}`, resourceVersion: '1' },
  });

  it(`GIVEN ${MAX_EVENTS * 2} distinct Events THEN never more than ${MAX_EVENTS} are kept, the newest, and all of them are copied once per hundred`, () => {
    let most = 0;
    for (let i = 0; i < MAX_EVENTS * 2; i++) {
      recorder.record(pod(i), 'Started', `Started pod p${i}`, 'kubelet');
      most = Math.max(most, store.count(events));
    }
    expect(most).toBe(MAX_EVENTS);
    const kept = store.list(events).map((e) => (e.involvedObject as { name: string }).name);
    expect(kept.length).toBeGreaterThanOrEqual(EVENTS_AFTER_TRIM);
    expect(kept).toContain(`p${MAX_EVENTS * 2 - 1}`);
    expect(kept).not.toContain('p0');
    // Trimmed to EVENTS_AFTER_TRIM at each reach of the cap: ten sweeps for the 1,000 Events past
    // it, not one per Event (a copy of all of them at every Event made large rollouts quadratic).
    expect(fullLists).toBeLessThanOrEqual(12);
  });

  it('GIVEN the same Event twice THEN it is one Event with count 2', () => {
    recorder.record(pod(1), 'Started', 'Started pod p1', 'kubelet');
    recorder.record(pod(1), 'Started', 'Started pod p1', 'kubelet');
    const all = store.list(events);
    expect(all).toHaveLength(1);
    expect(all[0]!.count).toBe(2);
  });
});
