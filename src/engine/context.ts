import type { Clock } from '../clock.js';
import type { ClusterClient } from '../cluster/types.js';
import type { MetricsReader } from './prometheus.js';

/** What the engine tells the person (or CI log) watching; the CLI decides how it looks. */
export interface Reporter {
  step(name: string, type: string): void;
  move(note: string): void;
  waiting(what: string): void;
  info(line: string): void;
  done(): void;
}

export const silentReporter: Reporter = { step() {}, move() {}, waiting() {}, info() {}, done() {} };

/** What the engine takes from the clock: the time, pauses, and timers for the lease's renewals. */
export type EngineClock = Pick<Clock, 'now' | 'sleep' | 'setTimeout' | 'clearTimeout'>;

/** Now, as the workflow records times (RFC 3339). */
export const nowIso = (ctx: { clock: Pick<Clock, 'now'> }): string => new Date(ctx.clock.now()).toISOString();

export interface EngineContext {
  cluster: ClusterClient;
  clock: EngineClock;
  report: Reporter;
  /** Who drives, for the lock: `user@host/pid`, for people. */
  identity: string;
  /**
   * The machine and PID namespace this process runs in, and its start time (process-alive.ts):
   * what tells a dead local driver, whose lease is taken over at once, from a live one elsewhere.
   */
  machine: string;
  pid: number;
  started: string;
  /** How long a step may wait for readiness before it fails. */
  timeoutMs: number;
  /**
   * How long to let the mesh catch up after a route or subset change before the next move (Envoy
   * config propagates in seconds; Argo Rollouts waits 30 s before scaling down for this reason).
   */
  trafficSettleMs?: number;
  /** Take over objects vela-ts does not manage. */
  force: boolean;
  /** `up --create-namespace`: create the app's namespace when it is missing (as helm does). */
  createNamespace?: boolean;
  /** Set while a lock is held: throws once the lock has been lost, so the driver stops. */
  assertLocked?: () => void;
  /** `up --no-mesh-check`: do not refuse a namespace without Istio sidecar injection. */
  skipMeshCheck?: boolean;
  /** `--prometheus` / VELA_TS_PROMETHEUS_URL: where every metric gate queries, over the file's metricEndpoint. */
  prometheusUrl?: string;
  /** How gates read Prometheus; by default over HTTP (engine/prometheus.ts). Tests give a fake. */
  metrics?: MetricsReader;
  /** Whether a process on this machine is alive and is the one that started at `started`. */
  isAlive: (pid: number, started?: string) => boolean;
}
