import os from 'node:os';
import type { ClusterClient } from '../cluster/types.js';
import { systemClock } from '../clock.js';
import { defaultRetryPolicy } from '../cluster/retry.js';
import type { EngineContext, Reporter } from '../engine/index.js';
import { UsageError } from '../errors.js';
import { processAlive, thisProcess } from '../process-alive.js';
import { parseDuration } from '../duration.js';
import { shownEndpoint } from '../workflow/metrics.js';
import { prometheusUrlProblem } from '../appfile/metric-syntax.js';
import type { IO } from './io.js';
import { EXIT_INTERRUPTED, EXIT_TERMINATED } from './errors.js';
import { useColor } from './io.js';
import type { GlobalOptions } from './globals.js';

export interface Session {
  ctx: EngineContext;
  cluster: ClusterClient;
  close(): Promise<void>;
}

/**
 * `10m`, `90s`, `1h`; a bare number is seconds (as kubectl's --timeout). What 0 means is the
 * flag's: no limit for --timeout (as `kubectl rollout status --timeout=0`), none for a pause.
 */
export function parseTimeout(
  text: string | undefined,
  fallbackMs: number,
  flag = '--timeout',
  zero: 'no limit' | 'zero' = 'no limit',
): number {
  if (text === undefined) return fallbackMs;
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : parseDuration(text);
  if (ms === undefined) throw new UsageError(`${flag} "${text}" is not a duration such as 90s, 10m or 1h`);
  if (ms === 0) return zero === 'no limit' ? Number.POSITIVE_INFINITY : 0;
  return ms;
}

/** Prometheus' base URL, as `--prometheus` or VELA_TS_PROMETHEUS_URL gives it. */
export function parsePrometheusUrl(text: string, flag: string): string {
  const problem = prometheusUrlProblem(text);
  if (problem) throw new UsageError(`${flag} "${shownEndpoint(text)}" is not valid: ${problem}`);
  return text;
}

/**
 * Progress for a person on a terminal (ora spinner) or plain lines for a log. Everything goes to
 * stderr, so stdout stays clean for results and `-o json`.
 */
async function reporter(io: IO, globals: GlobalOptions): Promise<Reporter> {
  // A spinner redraws by counting lines, which needs the terminal's width.
  const width = (io.stderr as { columns?: number }).columns ?? 0;
  const tty = Boolean(io.stderr.isTTY) && width > 0 && useColor(io, !globals.color);
  const line = (s: string) => io.stderr.write(`${s}\n`);
  if (!tty) {
    return {
      step: (name, type) => line(`step ${name} (${type})`),
      move: (note) => line(`  ${note}`),
      waiting: (what) => line(`  ${what}`),
      info: (s) => line(`  ${s}`),
      done: () => undefined,
    };
  }
  const { default: ora } = await import('ora');
  const { default: chalk } = await import('chalk');
  const spinner = ora({ stream: io.stderr });
  return {
    step: (name, type) => {
      if (spinner.isSpinning) spinner.succeed();
      line(chalk.bold(`step ${name}`) + chalk.dim(` (${type})`));
    },
    move: (note) => {
      if (spinner.isSpinning) spinner.succeed();
      spinner.start(note);
    },
    waiting: (what) => {
      if (spinner.isSpinning) spinner.text = `${spinner.text.split(' — ')[0]} — ${what}`;
      else spinner.start(what);
    },
    info: (s) => {
      const spinning = spinner.isSpinning;
      if (spinning) spinner.clear();
      line(chalk.dim(`  ${s}`));
      if (spinning) spinner.render();
    },
    done: () => {
      if (spinner.isSpinning) spinner.succeed();
    },
  };
}

export async function openSession(
  globals: GlobalOptions,
  io: IO,
  opts: {
    timeout?: string;
    force?: boolean;
    settle?: string;
    createNamespace?: boolean;
    skipMeshCheck?: boolean;
    prometheus?: string;
  } = {},
): Promise<Session> {
  // Every flag is checked before anything connects (or an in-process sandbox starts).
  const timeoutMs = parseTimeout(opts.timeout, 10 * 60_000);
  const prometheusText = opts.prometheus ?? (io.env.VELA_TS_PROMETHEUS_URL || undefined);
  const prometheusUrl =
    prometheusText !== undefined
      ? parsePrometheusUrl(
          prometheusText,
          opts.prometheus !== undefined ? '--prometheus' : 'VELA_TS_PROMETHEUS_URL',
        )
      : undefined;
  const settleText = opts.settle ?? io.env.VELA_TS_TRAFFIC_SETTLE;
  const settleMs =
    settleText !== undefined
      ? parseTimeout(
          settleText,
          0,
          opts.settle !== undefined ? '--traffic-settle' : 'VELA_TS_TRAFFIC_SETTLE',
          'zero',
        )
      : undefined;
  const { connect } = await import('../cluster/connect.js');
  const readyDelay = io.env.VELA_TS_SANDBOX_READY_DELAY_MS;
  const cluster = await connect({
    ...(globals.kubeconfig ? { kubeconfig: globals.kubeconfig } : {}),
    ...(globals.context ? { context: globals.context } : {}),
    sandbox: globals.sandbox,
    notice: (line) => io.stderr.write(`${line}\n`),
    cwd: io.cwd,
    env: io.env,
    ...(readyDelay ? { sandboxOptions: { readyDelayMs: Number(readyDelay) } } : {}),
    // --timeout bounds the command, not only its readiness waits: a request that goes unanswered
    // (a frozen API server, a half-open connection) and its retries end within it too.
    requestTimeoutMs: Math.min(30_000, timeoutMs),
    retry: { ...defaultRetryPolicy, budgetMs: Math.min(defaultRetryPolicy.budgetMs, timeoutMs) },
  });
  if (cluster.insecure) {
    io.stderr.write(
      `warning: TLS verification is off for this cluster (insecure-skip-tls-verify in the kubeconfig): anyone between you and ${cluster.server} can read and change what vela-ts sends\n`,
    );
  }
  if (cluster.isSandbox && globals.sandbox) {
    io.stderr.write(
      `Using the vela-ts sandbox at ${cluster.server}: a simulated cluster for rehearsals, not a real one (state in .vela-ts/)\n`,
    );
  }
  const user = os.userInfo().username;
  const hostname = os.hostname();
  const me = thisProcess();
  const ctx: EngineContext = {
    cluster,
    clock: systemClock,
    report: await reporter(io, globals),
    identity: `${user}@${hostname}/${process.pid}`,
    machine: me.machine,
    pid: me.pid,
    started: me.started,
    timeoutMs,
    // The sandbox has no proxies to wait for; a real mesh gets 5 s unless told otherwise.
    trafficSettleMs: settleMs ?? (cluster.isSandbox ? 0 : 5000),
    force: opts.force ?? false,
    createNamespace: opts.createNamespace ?? false,
    skipMeshCheck: opts.skipMeshCheck ?? false,
    ...(prometheusUrl ? { prometheusUrl } : {}),
    isAlive: processAlive,
  };
  // Interrupted mid-rollout: every move was recorded before it was made, so nothing is lost.
  // The lease is left to expire (at once for a rerun on this machine, 15 s from another); an
  // in-process sandbox is closed so its state is saved.
  const interrupted = (signal: NodeJS.Signals) => {
    // Show the cursor again if a spinner hid it.
    if (io.stderr.isTTY) io.stderr.write('\x1b[?25h');
    io.stderr.write(
      `\ninterrupted (${signal}): the workflow stays where it is; rerun the same command or \`vela-ts workflow resume\` to continue\n`,
    );
    const code = signal === 'SIGINT' ? EXIT_INTERRUPTED : EXIT_TERMINATED;
    const timer = setTimeout(() => process.exit(code), 2000);
    void cluster.close().finally(() => {
      clearTimeout(timer);
      process.exit(code);
    });
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  return {
    ctx,
    cluster,
    close: () => {
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      return cluster.close();
    },
  };
}
