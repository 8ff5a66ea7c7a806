import type { CheckMetricsProperties, WorkflowStep } from '../../src/appfile/types.js';
import { up, type EngineContext } from '../../src/engine/index.js';
import type { MetricsReader } from '../../src/engine/prometheus.js';
import { loadState } from '../../src/engine/store.js';
import type { Reading } from '../../src/workflow/metrics.js';
import { bookinfo, canary, gate, V3 } from '../fixtures/apps.js';
import { engineContext, T0 } from '../helpers/engine-context.js';
import { MemoryCluster } from '../helpers/memory-cluster.js';

/** A context whose clock moves only when the engine sleeps: a gate's interval passes at once. */
function context(cluster: MemoryCluster, metrics?: MetricsReader): EngineContext {
  let now = T0;
  return engineContext(cluster, {
    clock: {
      now: () => now,
      sleep: (ms: number) => {
        now += ms;
        return Promise.resolve();
      },
      setTimeout: () => undefined,
      clearTimeout: () => undefined,
    },
    timeoutMs: 600_000,
    ...(metrics ? { metrics } : {}),
  });
}

/** A fake Prometheus: answers with `readings` in turn, and records what was asked. */
function prometheus(readings: Reading[]): {
  reader: MetricsReader;
  asked: { endpoint: string; query: string }[];
} {
  const asked: { endpoint: string; query: string }[] = [];
  return {
    asked,
    reader: (endpoint, query) => {
      asked.push({ endpoint, query });
      return Promise.resolve(readings[Math.min(asked.length - 1, readings.length - 1)] as Reading);
    },
  };
}

const gateStep = (properties: Partial<CheckMetricsProperties> = {}): WorkflowStep => ({
  name: 'check',
  type: 'check-metrics',
  properties: {
    metric: 'request-success-rate',
    thresholdRange: { min: 99 },
    interval: '10s',
    duration: '30s',
    failDuration: '20s',
    ...properties,
  },
});
const release = (step: WorkflowStep) =>
  bookinfo({
    reviewsImage: V3,
    batches: [1, 1],
    workflow: [canary('canary', 0, { stable: 90, canary: 10 }), step, gate('approve'), canary('rest')],
  });

async function deployed(): Promise<MemoryCluster> {
  const cluster = new MemoryCluster();
  const first = await up(context(cluster), bookinfo(), 'default');
  expect(first.kind).toBe('succeeded');
  return cluster;
}

const routes = (cluster: MemoryCluster) =>
  (
    cluster.objects.get('VirtualService/default/reviews')?.spec as {
      http: { route: { destination: { subset: string }; weight?: number }[] }[];
    }
  ).http[0]?.route.map((r) => `${r.destination.subset}=${r.weight ?? 100}`);
const replicas = (cluster: MemoryCluster, name: string) =>
  (cluster.objects.get(`Deployment/default/${name}`)?.spec as { replicas?: number } | undefined)?.replicas;

describe('metric gates, driven', () => {
  it('GIVEN a healthy canary THEN the gate passes after its duration and the workflow stops at the approval', async () => {
    const cluster = await deployed();
    const prom = prometheus([{ kind: 'value', value: 99.7 }]);
    const ctx = context(cluster, prom.reader);
    const outcome = await up(ctx, release(gateStep()), 'default');
    expect(outcome.kind).toBe('suspended');
    // Measured at 0, 10, 20 and 30 s.
    expect(prom.asked).toHaveLength(4);
    expect(prom.asked[0]?.endpoint).toBe('http://prometheus.istio-system.svc:9090');
    expect(prom.asked[0]?.query).toContain('destination_workload="reviews-v2"');
    expect(routes(cluster)).toEqual(['reviews-v1=90', 'reviews-v2=10']);
    const state = (await loadState(cluster, 'default', 'book-info'))!.state;
    expect(state.workflow.steps[1]).toMatchObject({ phase: 'succeeded' });
    expect(state.workflow.steps[1]?.metrics?.samples.map((s) => s.value)).toEqual([99.7, 99.7, 99.7, 99.7]);
  });

  it('GIVEN a canary failing its gate THEN it is rolled back, traffic all on reviews-v1 at full size, and the run fails with the value', async () => {
    const cluster = await deployed();
    const prom = prometheus([{ kind: 'value', value: 70.3 }]);
    const outcome = await up(context(cluster, prom.reader), release(gateStep()), 'default');
    expect(outcome.kind).toBe('failed');
    if (outcome.kind !== 'failed') return;
    expect(outcome.message).toBe(
      'step check failed: success rate 70.3% of reviews-v2 did not meet >= 99 for 20s; rolled reviews back (reviews-v1 100%)',
    );
    expect(prom.asked).toHaveLength(3);
    expect(routes(cluster)).toEqual(['reviews-v1=100']);
    expect(replicas(cluster, 'reviews-v1')).toBe(2);
    expect(cluster.objects.has('Deployment/default/reviews-v2')).toBe(false);
    const state = (await loadState(cluster, 'default', 'book-info'))!.state;
    expect(state.workflow.steps.map((s) => s.phase)).toEqual(['succeeded', 'failed', 'skipped', 'skipped']);
    expect(state.workflow.steps[1]?.metrics?.verdict).toBe('failed');
  });

  it("GIVEN --prometheus THEN it replaces the file's metricEndpoint", async () => {
    const cluster = await deployed();
    const prom = prometheus([{ kind: 'value', value: 100 }]);
    const ctx = { ...context(cluster, prom.reader), prometheusUrl: 'http://localhost:9090' };
    await up(ctx, release(gateStep({ metricEndpoint: 'http://prom.monitoring.svc:9090' })), 'default');
    expect(new Set(prom.asked.map((a) => a.endpoint))).toEqual(new Set(['http://localhost:9090']));
  });

  it('GIVEN an in-cluster metricEndpoint THEN the query goes through the service proxy of the API server', async () => {
    const cluster = await deployed();
    const paths: string[] = [];
    cluster.proxy = (service, path) => {
      paths.push(`${service.namespace}/${service.name}:${service.port}${path}`);
      return {
        status: 200,
        body: JSON.stringify({
          status: 'success',
          data: { resultType: 'vector', result: [{ metric: {}, value: [1, '99.9'] }] },
        }),
      };
    };
    const outcome = await up(
      context(cluster),
      release(gateStep({ metricEndpoint: 'http://prometheus.monitoring.svc.cluster.local:9090' })),
      'default',
    );
    expect(outcome.kind).toBe('suspended');
    expect(paths).toHaveLength(4);
    const [where, query] = paths[0]!.split('?query=');
    expect(where).toBe('monitoring/prometheus:9090/api/v1/query');
    expect(decodeURIComponent(query!)).toMatch(/^sum\(rate\(istio_requests_total\{reporter="destination",/);
  });

  it('GIVEN the service proxy finds no Prometheus THEN the gate fails after 4 errors, saying what the cluster lacks', async () => {
    const cluster = await deployed();
    const outcome = await up(context(cluster), release(gateStep()), 'default');
    expect(outcome.kind).toBe('failed');
    if (outcome.kind !== 'failed') return;
    expect(outcome.message).toContain(
      '4 measurements in a row failed: the cluster has no service prometheus in namespace istio-system',
    );
    expect(routes(cluster)).toEqual(['reviews-v1=100']);
  });
});
