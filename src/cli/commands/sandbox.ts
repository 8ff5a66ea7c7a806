import path from 'node:path';
import { UsageError } from '../../errors.js';
import type { IO } from '../io.js';
import { EXIT_OK } from '../errors.js';
import { findPrometheus, isExecutable, prometheusMissingMessage } from '../../sandbox/prometheus.js';
import { userNameProblem } from '../../sandbox/rbac.js';

export interface ServeOptions {
  port: number;
  kubeconfigPath: string;
  statePath?: string;
  readyDelayMs: number;
  terminationGraceMs: number;
  auditLogPath?: string;
  failRate: number;
  /** The prometheus binary to run, when --prometheus. */
  prometheusBin?: string;
  trafficRps: number;
  metricsPort?: number;
  /** `--user`: identities besides the admin, each with a token and a kubeconfig context, authorized by RBAC. */
  users: string[];
}

/** Flags -> options; every problem is a usage error (exit 2). */
export function parseServeOptions(
  flags: Record<string, string | boolean | string[] | undefined>,
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): ServeOptions {
  const opts: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(flags)) if (typeof v === 'string') opts[k] = v;
  const int = (name: string, v: string | undefined, def: number, max: number) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > max)
      throw new UsageError(`--${name} must be an integer from 0 to ${max}, not "${v}"`);
    return n;
  };
  const failRate = opts.failRate === undefined ? 0 : Number(opts.failRate);
  if (!(failRate >= 0 && failRate <= 1))
    throw new UsageError(`--fail-rate must be a number from 0 to 1, not "${opts.failRate}"`);
  const users = Array.isArray(flags.user) ? flags.user : typeof flags.user === 'string' ? [flags.user] : [];
  for (const [i, u] of users.entries()) {
    const problem = userNameProblem(u) ?? (users.indexOf(u) < i ? `"${u}" is given twice` : undefined);
    if (problem) throw new UsageError(`--user: ${problem}`);
  }
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(cwd, p));
  return {
    port: int('port', opts.port, 0, 65535),
    // The token must never be printed, so the kubeconfig always goes to a file.
    kubeconfigPath: abs(opts.kubeconfig) ?? path.join(cwd, '.vela-ts', 'sandbox.kubeconfig'),
    statePath: abs(opts.state),
    readyDelayMs: int('ready-delay', opts.readyDelay, 1000, 24 * 60 * 60 * 1000),
    terminationGraceMs: int('termination-grace', opts.terminationGrace, 1000, 24 * 60 * 60 * 1000),
    auditLogPath: abs(opts.auditLog),
    failRate,
    trafficRps: int('traffic-rps', opts.trafficRps, 20, 100_000),
    ...(opts.metricsPort !== undefined
      ? { metricsPort: int('metrics-port', opts.metricsPort, 0, 65535) }
      : {}),
    ...(flags.prometheus === true ? { prometheusBin: prometheusBin(env) } : {}),
    users,
  };
}

function prometheusBin(env: NodeJS.ProcessEnv): string {
  const bin = findPrometheus(env);
  if (!bin || !isExecutable(bin)) throw new UsageError(`--prometheus: ${prometheusMissingMessage(env)}`);
  return bin;
}

/** A stop signal to wait for, and a way to stop waiting (the listeners are removed either way). */
interface StopSignal {
  received: Promise<string>;
  cancel(): void;
}

/**
 * Runs the sandbox until a stop signal arrives, then stops it cleanly, saving state. The signal
 * is listened for from the start, not only once the banner is out: a client that reads the banner
 * and signals at once (a test, a supervisor) must not find the default action still in place, and
 * a signal while Prometheus starts stops the sandbox once it has started.
 */
async function serveUntil(o: ServeOptions, io: IO, stop: StopSignal): Promise<number> {
  try {
    const { startSandbox, SANDBOX_BANNER, SandboxFileError } = await import('../../sandbox/index.js');
    // A state file is served by one process at a time; `--sandbox` commands in its folder join this one.
    const { shareSandbox, BAD_STATE_PATH } = await import('../../cluster/sandbox-share.js');
    const share = o.statePath
      ? await shareSandbox(o.statePath, { ownerOnly: true }).catch((e: unknown) => {
          if ((e as { reason?: string }).reason === BAD_STATE_PATH)
            throw new UsageError(`--state: ${(e as Error).message}`);
          throw e;
        })
      : undefined;
    const sb = await startSandbox({
      port: o.port,
      kubeconfigPath: o.kubeconfigPath,
      statePath: o.statePath,
      readyDelayMs: o.readyDelayMs,
      terminationGraceMs: o.terminationGraceMs,
      auditLogPath: o.auditLogPath,
      failRate: o.failRate,
      trafficRps: o.trafficRps,
      ...(o.metricsPort !== undefined ? { metricsPort: o.metricsPort } : {}),
      ...(o.prometheusBin ? { prometheus: { bin: o.prometheusBin } } : {}),
      users: o.users,
    }).catch(async (e: unknown) => {
      await share?.release();
      // A path given on the command line that cannot be written is the user's input: exit 2.
      if (e instanceof SandboxFileError) throw new UsageError(`--${e.role}: ${e.message}`);
      throw e;
    });
    if (share?.role === 'owner') await share.serving(o.kubeconfigPath);
    io.stdout.write(`${SANDBOX_BANNER}\n`);
    io.stdout.write(`listening on ${sb.url}\n`);
    io.stdout.write(`kubeconfig: ${o.kubeconfigPath}\n`);
    if (o.statePath) io.stdout.write(`state: ${o.statePath}\n`);
    if (o.auditLogPath) io.stdout.write(`audit log: ${o.auditLogPath}\n`);
    if (o.failRate > 0)
      io.stdout.write(
        `failing ${Math.round(o.failRate * 100)}% of resource requests on purpose (--fail-rate)\n`,
      );
    if (sb.metricsUrl)
      io.stdout.write(
        `mesh telemetry: ${sb.metricsUrl} (${o.trafficRps} simulated requests/s per VirtualService)\n`,
      );
    if (sb.prometheus?.url)
      io.stdout.write(
        `prometheus: ${sb.prometheus.url} (in the cluster: Service istio-system/prometheus:9090, through the API server's service proxy)\n`,
      );
    for (const u of Object.keys(sb.users))
      io.stdout.write(
        `user ${u}: kubeconfig context ${sb.users[u]!.context} (authorized by RBAC; bind it a Role, e.g. examples/rbac/role.yaml)\n`,
      );
    io.stdout.write(`try: kubectl --kubeconfig ${o.kubeconfigPath} get pods\n`);
    const signal = await stop.received;
    // Stopped on purpose: the commands using it stop too (their work so far is saved).
    if (share?.role === 'owner') await share.drain({ now: true });
    await sb.close();
    await share?.release();
    io.stderr.write(`sandbox stopped (${signal})${o.statePath ? `; state saved to ${o.statePath}` : ''}\n`);
    return EXIT_OK;
  } finally {
    stop.cancel();
  }
}

/** SIGINT or SIGTERM, listened for from now on. */
function stopSignal(): StopSignal {
  let onInt = () => undefined as void;
  let onTerm = () => undefined as void;
  const cancel = () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
  const received = new Promise<string>((resolve) => {
    const stop = (sig: string) => () => {
      cancel();
      resolve(sig);
    };
    onInt = stop('SIGINT');
    onTerm = stop('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
  return { received, cancel };
}

export async function serve(
  opts: Record<string, string | boolean | string[] | undefined>,
  io: IO,
): Promise<number> {
  const o = parseServeOptions(opts, io.cwd, io.env);
  return serveUntil(o, io, stopSignal());
}
