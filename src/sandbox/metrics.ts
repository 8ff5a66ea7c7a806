/**
 * The imperative side of the simulated telemetry (telemetry.ts holds the model): keeps the mesh's
 * counters integrated on the sandbox's clock as the store changes, and serves them for scraping
 * on a plain-HTTP listener on 127.0.0.1 (`GET /metrics`), as an Envoy sidecar serves its
 * `:15090/stats/prometheus`: no token, nothing but counters on it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Store } from './store.js';
import {
  EXPOSITION_CONTENT_TYPE,
  MeshCounters,
  meshFlows,
  type Flow,
  type MeshObjects,
} from './telemetry.js';
import type { Clock } from './util.js';

/** The store resources the traffic depends on: a change to any of them may change the flows. */
const MESH_RESOURCES = new Set([
  'virtualservices.networking.istio.io',
  'destinationrules.networking.istio.io',
  'services',
  'pods',
]);

/**
 * The counters, integrated piecewise: the flows computed after each change run until the next
 * one. A burst of writes is coalesced: the flows are recomputed once, on the next turn of the
 * event loop (or at a scrape, whichever comes first), so the interval between a write and that
 * turn runs on the flows from before it, a sub-millisecond approximation.
 */
export class MeshTelemetry {
  private readonly counters = new MeshCounters();
  private flows: Flow[] = [];
  private last: number;
  private dirty = true;
  private scheduled = false;
  private unsubscribe?: () => void;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly rps: number,
  ) {
    this.last = clock.now();
  }

  start(): void {
    this.last = this.clock.now();
    this.refresh();
    this.unsubscribe = this.store.subscribe((ev) => {
      if (!MESH_RESOURCES.has(ev.resource)) return;
      this.integrate();
      this.dirty = true;
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.refresh();
      });
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** The counters as of now, in Prometheus text format. */
  scrape(): string {
    this.refresh();
    this.integrate();
    return this.counters.exposition();
  }

  private integrate(): void {
    const now = this.clock.now();
    this.counters.advance(this.flows, now - this.last);
    // A clock that goes back (a test's, or NTP) never makes counters go back: time only moves on.
    this.last = Math.max(this.last, now);
  }

  private refresh(): void {
    if (!this.dirty) return;
    this.integrate();
    this.dirty = false;
    const mesh: MeshObjects = {
      virtualServices: this.store.list('virtualservices.networking.istio.io'),
      destinationRules: this.store.list('destinationrules.networking.istio.io'),
      services: this.store.list('services'),
      pods: this.store.list('pods'),
    };
    this.flows = meshFlows(mesh, this.rps);
  }
}

/** Serves `GET /metrics` on 127.0.0.1:`port` (0: a free one). */
export async function serveMetrics(
  telemetry: MeshTelemetry,
  port: number,
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('404 page not found: the sandbox serves its mesh telemetry at /metrics\n');
      return;
    }
    const text = telemetry.scrape();
    res.writeHead(200, { 'Content-Type': EXPOSITION_CONTENT_TYPE });
    res.end(req.method === 'HEAD' ? undefined : text);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/metrics`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
