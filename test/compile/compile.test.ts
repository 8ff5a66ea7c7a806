import { compile, initialPlacement, resolveRevisions, type KubeObject } from '../../src/compile/index.js';
import { bookinfo, V3 } from '../fixtures/apps.js';

const find = (objs: KubeObject[], kind: string, name: string) =>
  objs.find((o) => o.kind === kind && o.metadata.name === name);

describe('compile: first deploy of book-info', () => {
  const app = bookinfo();
  const { current, history } = resolveRevisions(app, {});
  const objects = compile(app, 'default', initialPlacement(app, current), history);

  it('GIVEN a rollout component THEN it gets Deployment reviews-v1 at targetSize and no reviews Deployment', () => {
    const d = find(objects, 'Deployment', 'reviews-v1') as KubeObject & { spec: Record<string, unknown> };
    expect(d).toBeDefined();
    expect(find(objects, 'Deployment', 'reviews')).toBeUndefined();
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.selector).toEqual({
      matchLabels: { 'app.oam.dev/component': 'reviews', 'app.oam.dev/revision': 'reviews-v1' },
    });
    expect(d.metadata.labels).toMatchObject({
      'app.oam.dev/name': 'book-info',
      'app.oam.dev/component': 'reviews',
      'app.kubernetes.io/managed-by': 'vela-ts',
    });
  });

  it('GIVEN canary-traffic THEN the DestinationRule has subset reviews-v1 selected by app.oam.dev/revision', () => {
    const dr = find(objects, 'DestinationRule', 'reviews') as KubeObject & { spec: unknown };
    expect(dr.spec).toEqual({
      host: 'reviews',
      subsets: [{ name: 'reviews-v1', labels: { 'app.oam.dev/revision': 'reviews-v1' } }],
    });
    const vs = find(objects, 'VirtualService', 'reviews') as KubeObject & { spec: unknown };
    expect(vs.spec).toEqual({
      hosts: ['reviews'],
      http: [{ route: [{ destination: { host: 'reviews', port: { number: 9080 } } }] }],
    });
  });

  it('GIVEN istio-gateway THEN Gateway productpage selects istio=ingressgateway on port 80 and its VirtualService has the four URI matches', () => {
    const gw = find(objects, 'Gateway', 'productpage') as KubeObject & { spec: unknown };
    expect(gw.spec).toEqual({
      selector: { istio: 'ingressgateway' },
      servers: [{ hosts: ['*'], port: { name: 'http', number: 80, protocol: 'HTTP' } }],
    });
    const vs = find(objects, 'VirtualService', 'productpage') as KubeObject & {
      spec: { gateways: string[]; http: { match: unknown[] }[] };
    };
    expect(vs.spec.gateways).toEqual(['productpage']);
    expect(vs.spec.http[0]?.match).toEqual([
      { uri: { exact: '/productpage' } },
      { uri: { prefix: '/static' } },
      { uri: { exact: '/login' } },
      { uri: { prefix: '/api/v1/products' } },
    ]);
  });

  it('GIVEN a component without rollout THEN its Deployment selects by component alone and pods carry the revision', () => {
    const d = find(objects, 'Deployment', 'ratings') as KubeObject & {
      spec: { selector: unknown; template: { metadata: { labels: unknown } }; replicas?: number };
    };
    expect(d.spec.selector).toEqual({ matchLabels: { 'app.oam.dev/component': 'ratings' } });
    expect(d.spec.template.metadata.labels).toEqual({
      'app.oam.dev/component': 'ratings',
      'app.oam.dev/revision': 'ratings-v1',
    });
    expect(d.spec.replicas).toBeUndefined();
  });

  it('GIVEN the same input twice THEN the output is byte-identical and keys start with apiVersion, kind, metadata', () => {
    const again = compile(app, 'default', initialPlacement(app, current), history);
    expect(JSON.stringify(again)).toBe(JSON.stringify(objects));
    for (const o of objects) expect(Object.keys(o).slice(0, 3)).toEqual(['apiVersion', 'kind', 'metadata']);
  });
});

describe('revisions', () => {
  it('GIVEN an image change THEN a new revision numbered one past the highest', () => {
    const first = resolveRevisions(bookinfo(), {});
    const second = resolveRevisions(bookinfo({ reviewsImage: V3 }), first.history);
    expect(second.current.reviews).toBe('reviews-v2');
    expect(second.current.ratings).toBe('ratings-v1');
    expect(second.created.map((r) => r.name)).toEqual(['reviews-v2']);
  });

  it('GIVEN only a trait change THEN no new revision', () => {
    const first = resolveRevisions(bookinfo(), {});
    const second = resolveRevisions(bookinfo({ batches: [1, 1] }), first.history);
    expect(second.current.reviews).toBe('reviews-v1');
    expect(second.created).toEqual([]);
  });

  it('GIVEN the template of an earlier revision again THEN that revision is reused', () => {
    const v1 = resolveRevisions(bookinfo(), {});
    const v2 = resolveRevisions(bookinfo({ reviewsImage: V3 }), v1.history);
    const back = resolveRevisions(bookinfo(), v2.history);
    expect(back.current.reviews).toBe('reviews-v1');
  });
});
