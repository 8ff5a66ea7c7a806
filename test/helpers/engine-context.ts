import { silentReporter } from '../../src/engine/context.js';
import type { EngineContext } from '../../src/engine/index.js';
import type { MemoryCluster } from './memory-cluster.js';

export const T0 = Date.parse('2026-01-01T00:00:00Z');

/**
 * An engine context on the recording fake: one driver on one machine, a clock that stands still
 * (sleeps return at once) and timers that never fire; `overrides` changes any part of it.
 */
export function engineContext(cluster: MemoryCluster, overrides: Partial<EngineContext> = {}): EngineContext {
  return {
    cluster,
    clock: {
      now: () => T0,
      sleep: () => Promise.resolve(),
      setTimeout: () => undefined,
      clearTimeout: () => undefined,
    },
    report: silentReporter,
    identity: 'dev@laptop/100',
    machine: 'machine-of-laptop',
    pid: 100,
    started: '',
    timeoutMs: 1000,
    force: false,
    isAlive: () => true,
    ...overrides,
  };
}
