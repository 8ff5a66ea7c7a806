import type { ClusterClient } from '../cluster/types.js';

/** What the engine tells the person (or CI log) watching; the CLI decides how it looks. */
export interface Reporter {
  step(name: string, type: string): void;
  move(note: string): void;
  waiting(what: string): void;
  info(line: string): void;
  done(): void;
}

export const silentReporter: Reporter = { step() {}, move() {}, waiting() {}, info() {}, done() {} };

export interface Clock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    }),
};

export interface EngineContext {
  cluster: ClusterClient;
  clock: Clock;
  report: Reporter;
  /** Who drives, for the lock: `user@host/pid`. */
  identity: string;
  hostname: string;
  pid: number;
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
  /** Tells whether a process on this host is alive (for taking over a dead driver's lock). */
  isAlive: (pid: number) => boolean;
}
