import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inClusterService, prometheusReader, readAnswer } from '../../src/engine/prometheus.js';
import { MemoryCluster } from '../helpers/memory-cluster.js';

const ok = (resultType: string, result: unknown) =>
  JSON.stringify({ status: 'success', data: { resultType, result } });

describe("reading Prometheus' answers", () => {
  it.each([
    [
      'a one-series vector',
      ok('vector', [{ metric: {}, value: [1, '99.5'] }]),
      { kind: 'value', value: 99.5 },
    ],
    ['a scalar', ok('scalar', [1, '3']), { kind: 'value', value: 3 }],
    ['+Inf', ok('scalar', [1, '+Inf']), { kind: 'value', value: Infinity }],
    ['an empty vector', ok('vector', []), { kind: 'no-data', why: 'the query returned no series' }],
    [
      'NaN (0/0)',
      ok('vector', [{ metric: {}, value: [1, 'NaN'] }]),
      { kind: 'no-data', why: 'the value is NaN (no requests in the window)' },
    ],
  ])('GIVEN %s THEN %j', (_what, body, want) => {
    expect(readAnswer(200, body, 'http://p:9090', undefined)).toEqual(want);
  });

  it('GIVEN two series THEN an error that says to aggregate', () => {
    const r = readAnswer(200, ok('vector', [{ value: [1, '1'] }, { value: [1, '2'] }]), 'p', undefined);
    expect(r).toEqual({
      kind: 'error',
      message: 'the query returned 2 series; a gate needs one value: aggregate them (sum, max, …)',
    });
  });

  it("GIVEN bad PromQL THEN a permanent error with Prometheus' words", () => {
    const body = JSON.stringify({
      status: 'error',
      errorType: 'bad_data',
      error: '1:4: parse error: unexpected end of input',
    });
    expect(readAnswer(400, body, 'p', undefined)).toEqual({
      kind: 'error',
      message: '1:4: parse error: unexpected end of input',
      permanent: true,
    });
  });

  it("GIVEN the API server's own refusal THEN what to do about it", () => {
    const svc = { namespace: 'istio-system', name: 'prometheus', port: 9090, scheme: 'http' as const };
    const status = (code: number, message: string) =>
      JSON.stringify({ kind: 'Status', status: 'Failure', code, message });
    expect(readAnswer(503, status(503, 'no endpoints available for service "prometheus"'), 'x', svc)).toEqual(
      {
        kind: 'error',
        message:
          'service prometheus in namespace istio-system has no ready Prometheus behind it (no endpoints available for service "prometheus")',
      },
    );
    const forbidden = readAnswer(403, status(403, 'services "prometheus" is forbidden'), 'x', svc);
    expect(forbidden).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('you need "get" on services/proxy there'),
    });
  });

  it('GIVEN something else answering THEN it asks whether that is Prometheus', () => {
    expect(readAnswer(200, '<html>', 'http://grafana:3000', undefined)).toMatchObject({
      message:
        "http://grafana:3000 answered HTTP 200 with something that is not Prometheus' query API; is this Prometheus' address?",
    });
  });
});

describe('where a gate queries', () => {
  it.each([
    [
      'http://prometheus.istio-system.svc:9090',
      { name: 'prometheus', namespace: 'istio-system', port: 9090, scheme: 'http', basePath: '' },
    ],
    [
      'https://prom.mon.svc.cluster.local/prom/',
      { name: 'prom', namespace: 'mon', port: 443, scheme: 'https', basePath: '/prom' },
    ],
    ['http://localhost:9090', undefined],
    ['http://prometheus.example.com:9090', undefined],
  ])('%s', (url, want) => expect(inClusterService(url)).toEqual(want));

  it('GIVEN a direct URL with credentials THEN they go as basic auth and never into a message', async () => {
    const seen: { url?: string; auth?: string } = {};
    const server = http.createServer((req, res) => {
      seen.url = req.url;
      seen.auth = req.headers.authorization;
      res.setHeader('content-type', 'application/json');
      res.end(ok('vector', [{ metric: {}, value: [1, '42'] }]));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const read = prometheusReader(new MemoryCluster(), { timeoutMs: 5000 });
      expect(await read(`http://me:s3cret@127.0.0.1:${port}/`, 'up')).toEqual({ kind: 'value', value: 42 });
      expect(seen.url).toBe('/api/v1/query?query=up');
      expect(seen.auth).toBe(`Basic ${Buffer.from('me:s3cret').toString('base64')}`);
    } finally {
      await new Promise((r) => server.close(r));
    }
    const refused = await prometheusReader(new MemoryCluster(), { timeoutMs: 5000 })(
      `http://me:s3cret@127.0.0.1:${port}`,
      'up',
    );
    expect(refused).toEqual({
      kind: 'error',
      message: `cannot reach Prometheus at http://127.0.0.1:${port} (connection refused)`,
    });
  });
});
