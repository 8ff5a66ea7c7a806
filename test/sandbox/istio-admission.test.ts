/**
 * What Istio's validating webhook refuses in the Istio objects vela-ts writes, refused by the
 * sandbox in the words a real cluster answers with (a 400 from the apiserver carrying the
 * webhook's denial). Istio 1.29's rules: weights need not add up to 100 (istio/istio#39544), but
 * none may be negative and several may not all be 0.
 */
import type { Sandbox } from '../../src/sandbox/index.js';
import { raw, start } from './helpers.js';

const NS = '/apis/networking.istio.io/v1/namespaces/default';
const DENIED = 'admission webhook "validation.istio.io" denied the request: configuration is invalid: ';

const vs = (name: string, http: unknown[]) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name },
  spec: { hosts: ['reviews'], http },
});
const route = (...dests: [string, number][]) => ({
  route: dests.map(([subset, weight]) => ({ destination: { host: 'reviews', subset }, weight })),
});

describe('Istio admission', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    ({ sb } = await start());
  });
  afterAll(() => sb.close());

  const create = (plural: string, body: unknown) => raw(sb, 'POST', `${NS}/${plural}`, { body });
  const denied = async (plural: string, body: unknown, why: string) => {
    const res = await create(plural, body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `${DENIED}${why}`,
      code: 400,
    });
  };

  test('GIVEN a negative weight THEN the webhook denies it', async () => {
    await denied(
      'virtualservices',
      vs('negative', [route(['reviews-v1', 110], ['reviews-v2', -10])]),
      'weight -10 < 0',
    );
  });

  test('GIVEN several destinations all at weight 0 THEN denied; weights not adding up to 100 are accepted, as by Istio 1.29', async () => {
    await denied(
      'virtualservices',
      vs('zero', [route(['reviews-v1', 0], ['reviews-v2', 0])]),
      'total destination weight = 0',
    );
    expect(
      (await create('virtualservices', vs('relative', [route(['reviews-v1', 90], ['reviews-v2', 20])])))
        .status,
    ).toBe(201);
    expect((await create('virtualservices', vs('single', [route(['reviews-v1', 0])]))).status).toBe(201);
  });

  test('GIVEN a destination port above 65535 THEN denied', async () => {
    await denied(
      'virtualservices',
      vs('port', [{ route: [{ destination: { host: 'reviews', port: { number: 70000 } } }] }]),
      'port number 70000 must be in the range 1..65535',
    );
  });

  test('GIVEN a subset name that is not a DNS-1123 label THEN denied, in a route and in a DestinationRule', async () => {
    await denied(
      'virtualservices',
      vs('subset', [route(['Reviews_v1', 100])]),
      'subset name is invalid: Reviews_v1',
    );
    await denied(
      'destinationrules',
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'reviews' },
        spec: { host: 'reviews', subsets: [{ name: 'reviews.v1', labels: { version: 'v1' } }] },
      },
      'subset name is invalid: reviews.v1',
    );
  });

  test('GIVEN an HTTP rule with no route THEN denied; a route entry without destination is the CRD schema 422', async () => {
    await denied(
      'virtualservices',
      vs('empty', [{ match: [{ uri: { prefix: '/' } }] }]),
      'HTTP route or redirect is required',
    );
    const res = await create('virtualservices', vs('nodest', [{ route: [{ weight: 100 }] }]));
    expect(res.status).toBe(422);
    expect(res.body.message).toBe(
      'VirtualService.networking.istio.io "nodest" is invalid: spec.http[0].route[0].destination: Required value',
    );
  });

  test('GIVEN a Gateway server port above 65535 THEN denied', async () => {
    await denied(
      'gateways',
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'Gateway',
        metadata: { name: 'gw' },
        spec: {
          selector: { istio: 'ingressgateway' },
          servers: [{ hosts: ['*'], port: { number: 80000, name: 'http', protocol: 'HTTP' } }],
        },
      },
      'port number 80000 must be in the range 1..65535',
    );
  });

  test('GIVEN two problems THEN both, in the multierror list the webhook prints', async () => {
    await denied(
      'virtualservices',
      vs('two', [route(['V1', 100], ['reviews-v2', -1])]),
      '2 errors occurred:\n\t* subset name is invalid: V1\n\t* weight -1 < 0\n\n',
    );
  });

  test('GIVEN a server-side apply or a dry run of a denied object THEN the same denial, and nothing is stored', async () => {
    const bad = vs('applied', [route(['reviews-v1', -5], ['reviews-v2', 105])]);
    const applied = await raw(sb, 'PATCH', `${NS}/virtualservices/applied?fieldManager=t`, {
      body: bad,
      contentType: 'application/apply-patch+yaml',
    });
    expect(applied.status).toBe(400);
    expect(applied.body.message).toBe(`${DENIED}weight -5 < 0`);
    const dry = await raw(sb, 'POST', `${NS}/virtualservices?dryRun=All`, { body: bad });
    expect(dry.status).toBe(400);
    expect((await raw(sb, 'GET', `${NS}/virtualservices/applied`)).status).toBe(404);
  });
});
